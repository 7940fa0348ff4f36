"""Errors the ``ml`` package raises on purpose.

``str(error)`` is shown to the person who uploaded the recording, so every
message is a plain sentence about their file or our service, never a stack
detail. Technical detail goes into ``__cause__`` (``raise ... from``) and logs.
"""
from __future__ import annotations


class MLError(Exception):
    """Base class: something the user should be told about in plain words."""

    default_message = "Something went wrong while turning your recording into notes."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class AudioError(MLError):
    """The file cannot be used as audio: unreadable, not audio, empty, silent container."""

    default_message = "We could not read this file as audio."


class ModelUnavailableError(MLError):
    """The transcription model's files are missing or damaged on the server."""

    default_message = "The transcription model is not available right now. Please try again later."
