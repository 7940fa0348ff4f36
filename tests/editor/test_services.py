"""Every edit is a revision on the server: undo, redo and conflicts as a user meets them."""
import pytest

from editor import services
from editor.models import Revision, ScoreHistory
from tests.editor.conftest import first_event
from transcription.models import Score

pytestmark = pytest.mark.django_db


def pitch_of_first_note(score_id, measure=0, index=0):
    return first_event(Score.objects.get(id=score_id).doc, measure, index)["notes"][0][1]


def raise_first_note(score, user, seen):
    event_id = first_event(score.doc)["id"]
    return services.score_apply_edit(score_id=score.id, user=user, op="transpose",
                                     params={"ids": [event_id], "semitones": 1}, seen_revision=seen)


def test_an_edit_is_stored_as_a_revision_and_in_the_score(scale_score, user):
    state = raise_first_note(scale_score, user, 0)
    assert state.revision == 1 and state.can_undo and not state.can_redo
    assert pitch_of_first_note(scale_score.id) == 61
    revision = Revision.objects.get(score=scale_score, number=1)
    assert (revision.op, revision.author, revision.parent.number) == ("transpose", user, 0)
    assert first_event(revision.doc)["notes"][0][1] == 61
    assert first_event(Revision.objects.get(score=scale_score, number=0).doc)["notes"][0][1] == 60


def test_undo_and_redo_survive_a_reload(scale_score, user):
    raise_first_note(scale_score, user, 0)
    raise_first_note(Score.objects.get(id=scale_score.id), user, 1)
    assert pitch_of_first_note(scale_score.id) == 62
    undone = services.score_undo(score_id=scale_score.id, seen_revision=2)
    assert (undone.revision, undone.can_redo) == (1, True) and "transpose" in undone.message
    assert pitch_of_first_note(scale_score.id) == 61
    # A new page load (nothing kept in the browser) still offers redo.
    assert services.score_edit_state(score_id=scale_score.id).can_redo
    services.score_undo(score_id=scale_score.id, seen_revision=1)
    assert pitch_of_first_note(scale_score.id) == 60
    with pytest.raises(services.ScoreEditError, match="nothing to undo"):
        services.score_undo(score_id=scale_score.id, seen_revision=0)
    services.score_redo(score_id=scale_score.id, seen_revision=0)
    redone = services.score_redo(score_id=scale_score.id, seen_revision=1)
    assert redone.revision == 2 and pitch_of_first_note(scale_score.id) == 62
    with pytest.raises(services.ScoreEditError, match="nothing to redo"):
        services.score_redo(score_id=scale_score.id, seen_revision=2)


def test_an_edit_after_undo_keeps_the_old_branch_and_never_reuses_a_number(scale_score, user):
    raise_first_note(scale_score, user, 0)
    services.score_undo(score_id=scale_score.id, seen_revision=1)
    state = raise_first_note(Score.objects.get(id=scale_score.id), user, 0)
    assert state.revision == 2 and not state.can_redo
    assert Revision.objects.filter(score=scale_score).count() == 3
    assert ScoreHistory.objects.get(score=scale_score).head.number == 2


def test_a_stale_page_gets_a_conflict_and_changes_nothing(scale_score, user):
    raise_first_note(scale_score, user, 0)
    with pytest.raises(services.EditConflict, match="changed in another tab"):
        raise_first_note(scale_score, user, 0)  # a second page that still shows version 0
    assert pitch_of_first_note(scale_score.id) == 61
    assert Revision.objects.filter(score=scale_score).count() == 2
    # Undone edits make no exception: a page that saw version 1 is stale once it is undone elsewhere.
    services.score_undo(score_id=scale_score.id, seen_revision=1)
    with pytest.raises(services.EditConflict):
        services.score_redo(score_id=scale_score.id, seen_revision=1)


def test_a_refused_edit_says_why_and_leaves_the_score_whole(scale_score, user):
    with pytest.raises(services.ScoreEditError, match="same pitch right after"):
        services.score_apply_edit(score_id=scale_score.id, user=user, op="set_tie",
                                  params={"ids": [first_event(scale_score.doc)["id"]]}, seen_revision=0)
    assert not Revision.objects.filter(score=scale_score, number__gt=0).exists()
    assert first_event(Score.objects.get(id=scale_score.id).doc)["notes"][0][6] == 0
    # The next edit starts from the stored score, not from a half-changed copy.
    state = raise_first_note(scale_score, user, 0)
    assert state.revision == 1 and not any(n.tie for n in state.doc.parts[0].measures[0].voices[0].events[0].notes)


def test_scores_stored_before_the_notation_model_are_engraved_on_first_edit(score):
    assert score.doc == {}
    state = services.score_edit_state(score_id=score.id)
    assert state.revision == 0 and state.doc.parts
    assert Score.objects.get(id=score.id).doc["parts"]


def test_a_score_with_a_history_can_be_deleted(scale_score, user):
    raise_first_note(scale_score, user, 0)
    scale_score.job.delete()
    assert not Revision.objects.exists() and not ScoreHistory.objects.exists()


def test_revisions_are_listed_in_the_admin(client, scale_score, user):
    from django.urls import reverse

    from tests.factories import make_user

    raise_first_note(scale_score, user, 0)
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:editor_revision_changelist")).content.decode()
    assert "transpose" in page and "Scale" in page
    revision = Revision.objects.get(number=1)
    assert client.get(reverse("admin:editor_revision_change", args=[revision.pk])).status_code == 200
    assert client.get(reverse("admin:editor_scorehistory_changelist")).status_code == 200


def test_stepping_back_and_forth_shows_each_revision_exactly_as_stored(scale_score, user,
                                                                       django_capture_on_commit_callbacks):
    """Undo and redo reuse the parsed docs they left (edits change only the head's):
    every state shown, and every edit made after a step, is the stored revision's."""

    def shows_stored(state):
        assert state.doc.to_dict() == Revision.objects.get(score=scale_score, number=state.revision).doc
        return state.revision

    def step(change, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return shows_stored(change(score_id=scale_score.id, **kwargs))

    def edit(seen, semitones):
        event_id = first_event(Score.objects.get(id=scale_score.id).doc)["id"]
        return step(services.score_apply_edit, user=user, op="transpose",
                    params={"ids": [event_id], "semitones": semitones}, seen_revision=seen)

    seen = edit(edit(0, 1), 2)  # 60 → 61 → 63
    for change in [services.score_undo, services.score_undo, services.score_redo, services.score_redo,
                   services.score_undo]:
        seen = step(change, seen_revision=seen)
    assert pitch_of_first_note(scale_score.id) == 61
    seen = edit(seen, 5)  # a new branch from revision 1: 66, made on the doc undo brought back
    assert pitch_of_first_note(scale_score.id) == 66
    for change in [services.score_undo, services.score_redo, services.score_undo, services.score_undo]:
        seen = step(change, seen_revision=seen)
    assert pitch_of_first_note(scale_score.id) == 60
    seen = step(services.score_redo, seen_revision=seen)  # the newest branch: 61, then 66
    seen = step(services.score_redo, seen_revision=seen)
    assert pitch_of_first_note(scale_score.id) == 66
