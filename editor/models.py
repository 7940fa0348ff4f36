"""The edit history of a score: every edit is a revision, kept on the server.

Revisions form a tree: each one records the edit made on its parent and the
score that resulted. ``ScoreHistory.head`` is the revision the score shows now;
undo moves the head to the parent, redo to the newest child. Numbers are never
reused, so a revision number names one exact score: a browser that sends the
number it saw is either up to date or stale, never silently different.
"""
from __future__ import annotations

import json
import zlib

from django.conf import settings
from django.db import models

from rescored_site.models import TimeStampedModel
from transcription.models import Score


def pack_doc(doc: dict) -> bytes:
    # zlib at level 1: a 3000-note score's JSON shrinks about tenfold in about a millisecond.
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), 1)


def unpack_doc(data: bytes) -> dict:
    return json.loads(zlib.decompress(bytes(data)).decode("utf-8"))


class Revision(TimeStampedModel):
    """One state of a score's notation and the edit that made it."""

    ROOT_OP = "transcribed"

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="0 is the score as transcribed; never reused")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    op = models.CharField(max_length=40, help_text="the edit, as ml.notation.edit names it")
    params = models.JSONField(default=dict, blank=True)
    doc_packed = models.BinaryField(help_text="the resulting ScoreDoc, zlib-compressed JSON")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["score", "number"]
        constraints = [models.UniqueConstraint(fields=["score", "number"], name="one_revision_number_per_score")]

    def __str__(self) -> str:
        return f"{self.score_id} #{self.number} {self.op}"

    @property
    def doc(self) -> dict:
        return unpack_doc(self.doc_packed)


class ScoreHistory(TimeStampedModel):
    """Where a score's history stands: the revision shown now."""

    score = models.OneToOneField(Score, on_delete=models.CASCADE, primary_key=True, related_name="history")
    # Cascade only matters when the score itself is deleted (with all its revisions).
    head = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0, help_text="the highest revision number given out")

    class Meta:
        verbose_name_plural = "score histories"

    def __str__(self) -> str:
        return f"{self.score_id} at #{self.head.number}"
