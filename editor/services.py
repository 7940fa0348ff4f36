"""Writes to a score's notation: edits, undo and redo, each one a revision.

Every call names the revision the browser last saw. The score row is locked
(select_for_update) while the head is compared and moved, so of two tabs that
saw the same revision, the first edit wins and the second is told, never
silently overwritten.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import transaction

from editor import memory
from editor.exports import score_doc
from editor.models import Revision, ScoreHistory, pack_doc, unpack_doc
from ml.notation.edit import EditError, apply_edit
from ml.notation.score import ScoreDoc
from transcription.models import Score


class ScoreEditError(Exception):
    """An edit, undo or redo that was not made; the message says why, in words."""


class EditConflict(ScoreEditError):
    """The browser's view of the score is out of date."""

    def __init__(self, *, seen: int, head: int) -> None:
        super().__init__(
            f"This score was changed in another tab or on another device (you saw version {seen}, "
            f"it is now at version {head}). It has been reloaded: please check it and make your edit again."
        )
        self.seen, self.head = seen, head


@dataclass
class EditState:
    """What the page needs after a change: the score, where history stands, what to select."""

    doc: ScoreDoc
    revision: int
    can_undo: bool
    can_redo: bool
    selection: list[str] = field(default_factory=list)
    cursor: dict[str, Any] | None = None
    message: str = ""


# The head doc of recently edited scores, parsed, keyed by score id with its revision
# number (numbers are never reused, so a number names exactly one doc). Parsing a
# 3000-note score's JSON costs more than the edit itself. An edit takes the doc out
# and changes it in place under the row lock; the view then draws it after commit.
# That is safe because Django runs sync views of an ASGI server (daphne) on one
# thread per process; a multi-threaded WSGI server would need a copy per reader.
_parsed: dict[UUID, tuple[int, ScoreDoc]] = {}
_parsed_lock = threading.Lock()
_PARSED_MAX = 32


def _take_parsed(score: Score, number: int) -> ScoreDoc:
    with _parsed_lock:
        cached = _parsed.pop(score.id, None)
    if cached is not None and cached[0] == number:
        return cached[1]
    memory.settle_after_response()  # a newly parsed doc joins the long-lived caches
    return ScoreDoc.from_dict(Score.objects.values_list("doc", flat=True).get(id=score.id))


def _keep_parsed(score_id: UUID, number: int, doc: ScoreDoc) -> None:
    with _parsed_lock:
        if len(_parsed) >= _PARSED_MAX:
            _parsed.pop(next(iter(_parsed)))
        _parsed[score_id] = (number, doc)


# Parsed docs of revisions just left by undo or redo, per score. Only the head doc
# is ever changed in place (an edit takes it out of ``_parsed``), and a doc is here
# or there, never both, so these still hold their revision: stepping back onto one
# needs no parse of the stored doc (and no layout re-pointing after it).
_off_head: dict[UUID, dict[int, ScoreDoc]] = {}
_OFF_HEAD_PER_SCORE = 8


def _off_head_doc(score_id: UUID, number: int) -> ScoreDoc | None:
    with _parsed_lock:
        return _off_head.get(score_id, {}).get(number)


def _keep_stepped(score_id: UUID, left: int, target: int, doc: ScoreDoc) -> None:
    """After an undo or redo commits: the doc left behind goes off head, the target's in."""
    with _parsed_lock:
        cached = _parsed.pop(score_id, None)
        pool = _off_head.pop(score_id, {})
        _off_head[score_id] = pool  # most recently used last
        pool.pop(target, None)
        if cached is not None and cached[0] == left:
            pool[left] = cached[1]
        while len(pool) > _OFF_HEAD_PER_SCORE:
            pool.pop(next(iter(pool)))
        while len(_off_head) > _PARSED_MAX:
            _off_head.pop(next(iter(_off_head)))
    _keep_parsed(score_id, target, doc)


def _doc_of(score: Score) -> dict:
    """The score's notation; older scores stored before the canonical model get it engraved now."""
    return score.doc or score_doc(score).to_dict()


def _history_locked(score_id: UUID) -> tuple[Score, ScoreHistory]:
    """Lock the score row and return it with its history, starting the history
    (revision 0: the score as transcribed) on first use."""
    # The big JSON columns are read only when needed: the parsed head doc is usually cached.
    score = Score.objects.select_for_update().defer("notes", "doc").get(id=score_id)
    history = ScoreHistory.objects.select_related("head").filter(score=score).first()
    if history is None:
        score = Score.objects.select_for_update().get(id=score_id)
        doc = _doc_of(score)
        if not score.doc:
            score.doc = doc
            score.save(update_fields=["doc", "updated_at"])
        root = Revision.objects.create(score=score, number=0, op=Revision.ROOT_OP, doc_packed=pack_doc(doc))
        history = ScoreHistory.objects.create(score=score, head=root, last_number=0)
    return score, history


def _redo_target(head: Revision) -> Revision | None:
    return head.children.order_by("-number").first()


def _state(history: ScoreHistory, doc: ScoreDoc, **extra: Any) -> EditState:
    head = history.head
    return EditState(
        doc=doc,
        revision=head.number,
        can_undo=head.parent_id is not None,
        can_redo=head.children.exists(),
        **extra,
    )


def score_edit_state(*, score_id: UUID) -> EditState:
    """The score as it stands now, for a page load (starts the history if needed)."""
    with transaction.atomic():
        score, history = _history_locked(score_id)
        doc = _take_parsed(score, history.head.number)
        number = history.head.number
        transaction.on_commit(lambda: _keep_parsed(score.id, number, doc))
        return _state(history, doc)


def _check_fresh(history: ScoreHistory, seen_revision: int) -> None:
    if int(seen_revision) != history.head.number:
        raise EditConflict(seen=int(seen_revision), head=history.head.number)


def _move_head(score: Score, history: ScoreHistory, target: Revision) -> None:
    history.head = target
    history.save(update_fields=["head", "last_number", "updated_at"])
    score.version += 1
    score.save(update_fields=["doc", "version", "updated_at"])


@transaction.atomic
def score_apply_edit(*, score_id: UUID, user, op: str, params: dict[str, Any], seen_revision: int) -> EditState:
    """Make one edit on the revision the user saw and store the result as a new revision."""
    score, history = _history_locked(score_id)
    _check_fresh(history, seen_revision)
    doc = _take_parsed(score, history.head.number)
    try:
        outcome = apply_edit(doc, op, params)
    except EditError as exc:
        # The parsed doc may be half-changed: it was taken out of the cache and is dropped.
        raise ScoreEditError(str(exc)) from exc
    doc_dict = outcome.doc.to_dict()
    history.last_number += 1
    revision = Revision.objects.create(
        score=score,
        number=history.last_number,
        parent=history.head,
        op=op,
        params=params,
        doc_packed=pack_doc(doc_dict),
        author=user if user is not None and user.is_authenticated else None,
    )
    score.doc = doc_dict
    _move_head(score, history, revision)
    transaction.on_commit(lambda: _keep_parsed(score.id, revision.number, outcome.doc))
    return EditState(
        doc=outcome.doc, revision=revision.number, can_undo=True, can_redo=False,
        selection=outcome.selection, cursor=outcome.cursor,
    )


def _step(*, score_id: UUID, seen_revision: int, forward: bool) -> EditState:
    score, history = _history_locked(score_id)
    _check_fresh(history, seen_revision)
    head = history.head
    target = _redo_target(head) if forward else head.parent
    if target is None:
        raise ScoreEditError("There is nothing to redo." if forward else "There is nothing to undo.")
    doc_dict = target.doc
    score.doc = doc_dict
    _move_head(score, history, target)
    # (No settle here for a parsed doc: a run of undos parses at every step, and a
    # collection per step would cost more than the stalls it saves.)
    doc = _off_head_doc(score.id, target.number) or ScoreDoc.from_dict(doc_dict)
    transaction.on_commit(lambda: _keep_stepped(score.id, head.number, target.number, doc))
    done = head if forward is False else target
    label = done.op.replace("_", " ")
    return _state(history, doc, message=("Redid" if forward else "Undid") + f" {label}.")


@transaction.atomic
def score_undo(*, score_id: UUID, seen_revision: int) -> EditState:
    """Go back to the revision before the one shown; the undone one stays, for redo."""
    return _step(score_id=score_id, seen_revision=seen_revision, forward=False)


@transaction.atomic
def score_redo(*, score_id: UUID, seen_revision: int) -> EditState:
    """Go forward to the newest revision made from the one shown."""
    return _step(score_id=score_id, seen_revision=seen_revision, forward=True)


__all__ = [
    "EditConflict",
    "EditState",
    "ScoreEditError",
    "score_apply_edit",
    "score_edit_state",
    "score_redo",
    "score_undo",
    "unpack_doc",
]
