"""Keeps the editor's long-lived objects out of Python's full garbage collections.

The parsed docs and rendered lines the editor caches (``editor.services``,
``editor.rendering``) are a few hundred thousand objects for one large score.
Python's collector walks all of them in every full collection, and edits
allocate enough to trigger one every few requests: 150-250 ms stalls in the
middle of typing (bench/editor_edit.py: p95 234 ms against a median of 60 ms).

After a request that parsed a score's head doc into those caches (a score
page opened for the first time since the process started), the process
settles: what is garbage now is collected, then every surviving object is
frozen (``gc.freeze``), out of the collector's reach. Frozen objects are
still freed by reference counting as usual. Each settle first unfreezes, so
any reference cycle that became garbage since the last one is collected then.
Requests served from the caches (every edit, a page already open) cost no
collection.

It runs after the response has gone (Django's request_finished signal), so
the page itself is not slower.
"""
from __future__ import annotations

import gc
import threading

from django.core.signals import request_finished

_requested = threading.Event()
_lock = threading.Lock()


def settle_after_response() -> None:
    """Ask for a settle once the current response has been sent."""
    _requested.set()


def settle() -> None:
    """Collect what is garbage now, then freeze every object that survives."""
    with _lock:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def _on_request_finished(**_kwargs) -> None:
    if _requested.is_set():
        _requested.clear()
        settle()


request_finished.connect(_on_request_finished, dispatch_uid="editor.memory.settle")
