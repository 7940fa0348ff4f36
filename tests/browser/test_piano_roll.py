"""The piano-roll view beside the staff, in a real browser against the real server:
the same notes as the score, selecting through the editor, redrawn after each edit,
following the player, and there for read-only viewers too."""
from __future__ import annotations

import pytest

from accounts.models import ScoreShare
from ml.notes import Note, Track, Transcription
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_editor_editing import bar, log_in, make_score, open_editor, wait_revision
from tests.factories import engraved_score, make_user
from transcription.models import Job

pytestmark = [pytest.mark.django_db(transaction=True)]

ROLL_NOTES = "[data-piano-roll] .roll-note"


def note_count(doc: dict) -> int:
    return sum(len(e["notes"]) for p in doc["parts"] for m in p["measures"] for v in m for e in v["events"])


def first_event_id(doc: dict, part: int = 0, measure: int = 0, staff: int = 0) -> str:
    voice = next(v for v in doc["parts"][part]["measures"][measure] if v["staff"] == staff)
    return voice["events"][0]["id"]


def show_roll(page):
    page.click("[data-view-switch] [data-view=roll]")
    page.wait_for_selector("[data-piano-roll] .roll-note", state="visible")


def rect_of(page, event_id):
    return page.locator(f'{ROLL_NOTES}[data-event="{event_id}"] rect').first


def test_roll_shows_every_note_selects_in_the_staff_and_follows_an_edit(page, live_server_url):
    user = make_user("composer")
    score = make_score(user)
    log_in(page, live_server_url, "composer")
    open_editor(page, live_server_url, score)
    assert not page.locator("[data-piano-roll]").is_visible()

    show_roll(page)
    assert page.get_by_role("button", name="Piano roll").get_attribute("aria-pressed") == "true"
    assert not page.locator("[data-editor-render]").is_visible()  # the roll takes the staff's place
    assert page.locator(ROLL_NOTES).count() == note_count(score.doc) == 10
    assert page.locator(".roll-bars .roll-bar").count() == len(score.doc["measures"])
    assert page.locator(".roll-keys text", has_text="C4").count() == 1  # the keyboard names its keys
    # Bar numbers stand over their bar lines, and each key's row runs level with its name.
    header_x = page.locator('.roll-bar[data-bar="1"] line').bounding_box()["x"]
    body_x = page.locator(".roll-body .roll-barline").nth(1).bounding_box()["x"]
    assert abs(header_x - body_x) < 1.5
    c4_name = page.locator(".roll-keys text", has_text="C4").bounding_box()
    c4_note = rect_of(page, first_event_id(score.doc)).bounding_box()
    assert c4_name["y"] - 4 <= c4_note["y"] + c4_note["height"] / 2 <= c4_name["y"] + c4_name["height"] + 4
    page.screenshot(path=ARTIFACTS / "piano-roll.png", full_page=True)

    # Click middle C (bar 1, first note of the treble staff): the editor selects that very event.
    event_id = first_event_id(score.doc)
    before = rect_of(page, event_id)
    y_before = float(before.get_attribute("y"))
    before.click()
    page.wait_for_function(f"window.rescoredEditor.selection.join() === '{event_id}'")
    assert page.locator("[data-editor-render] svg .rs-selected").count() >= 1  # selected on the staff too
    assert page.locator(f"{ROLL_NOTES}.is-selected").count() == 1
    assert page.locator(f"{ROLL_NOTES}.is-selected").get_attribute("data-event") == event_id

    # Up a semitone from the keyboard: saved, and the rectangle moves up one row, still selected.
    page.keyboard.press("ArrowUp")
    wait_revision(page, 1)
    assert bar(score.id, 0)[0] == [61]
    page.wait_for_function("document.querySelector('[data-piano-roll]').dataset.revision === '1'")
    after = rect_of(page, event_id)
    assert float(after.get_attribute("y")) < y_before
    assert float(after.get_attribute("y")) == y_before - 14  # exactly one semitone row
    assert page.locator(f'{ROLL_NOTES}[data-event="{event_id}"]').get_attribute("data-pitch") == "61"
    assert page.locator(f'{ROLL_NOTES}[data-event="{event_id}"]').get_attribute("class").count("is-selected") == 1
    assert page.locator(ROLL_NOTES).count() == 10
    page.screenshot(path=ARTIFACTS / "piano-roll-raised.png", full_page=True)

    # Back to the staff: the score is drawn there again, with the raised note still selected.
    page.click("[data-view-switch] [data-view=staff]")
    assert page.locator("[data-editor-render] svg").is_visible()
    assert not page.locator("[data-piano-roll]").is_visible()
    assert page.locator("[data-editor-render] svg .rs-selected").first.is_visible()
    page.screenshot(path=ARTIFACTS / "piano-roll-back-to-staff.png", full_page=True)


def _band() -> Transcription:
    melody = [60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64, 60, 60]
    bass = [36, 43, 41, 43]
    piano = [Note(p, 0.5 + i * 0.5, 0.5 + (i + 0.9) * 0.5, 90) for i, p in enumerate(melody)]
    low = [Note(p, 0.5 + i * 2.0, 0.5 + (i + 0.95) * 2.0, 90) for i, p in enumerate(bass)]
    return Transcription(
        tracks=[Track("Piano", "piano", program=0, notes=piano), Track("Bass", "bass", program=33, notes=low)],
        duration=9.0,
    )


@pytest.fixture
def band_score():
    owner = make_user("bandleader")
    transcription = _band()
    job = Job.objects.create(owner=owner, title="Two parts", status=Job.Status.DONE, percent=100)
    return engraved_score(job, transcription, tempo_bpm=120)


def test_each_part_in_its_tab_colour_and_the_cursor_follows_playback(page, live_server_url, band_score):
    score = band_score
    parts = score.doc["parts"]
    assert len(parts) == 2
    log_in(page, live_server_url, "bandleader")
    open_editor(page, live_server_url, score)
    show_roll(page)
    assert page.locator(ROLL_NOTES).count() == note_count(score.doc)

    # Each tab wears the colour its notes have in the roll, and the colours differ.
    colours = []
    for part in parts:
        tab_colour = page.locator(f'.editor-tabs [data-part="{part["id"]}"]').evaluate(
            "el => el.style.getPropertyValue('--part-colour')")
        notes_in_colour = page.locator(ROLL_NOTES).evaluate_all(
            "(els, c) => els.filter(el => el.style.getPropertyValue('--part-colour') === c).length", tab_colour)
        assert tab_colour and notes_in_colour > 0
        colours.append(tab_colour)
    assert colours[0] != colours[1]

    # The Bass tab shows only the bass's notes.
    bass = next(p for p in parts if p["name"].lower().startswith("bass"))
    bass_notes = sum(len(e["notes"]) for m in bass["measures"] for v in m for e in v["events"])
    page.click(f'.editor-tabs [data-part="{bass["id"]}"]')
    page.wait_for_function(f"document.querySelectorAll('{ROLL_NOTES}').length === {bass_notes}")
    page.click('.editor-tabs [data-part=""]')
    page.wait_for_function(f"document.querySelectorAll('{ROLL_NOTES}').length === {note_count(score.doc)}")

    # Play: the roll's cursor moves through the music and lights the notes it passes.
    page.click("[data-player] [data-action=play]")
    page.wait_for_function("Number(document.querySelector('[data-piano-roll]').dataset.cursorQuarters) > 2",
                           timeout=20_000)
    assert page.locator(f"{ROLL_NOTES}.is-playing").count() >= 1
    assert page.locator("[data-piano-roll] .roll-cursor").get_attribute("visibility") == "visible"
    page.screenshot(path=ARTIFACTS / "piano-roll-playing.png", full_page=True)
    page.click("[data-player] [data-action=stop]")
    page.wait_for_function("document.querySelector('[data-piano-roll]').dataset.cursorQuarters === ''")


def test_a_read_only_viewer_sees_the_roll_and_can_select_but_not_edit(page, live_server_url):
    owner = make_user("teacher")
    student = make_user("student")
    score = make_score(owner)
    ScoreShare.objects.create(score=score, shared_by=owner, student=student)
    log_in(page, live_server_url, "student")
    open_editor(page, live_server_url, score)
    show_roll(page)
    assert page.locator(ROLL_NOTES).count() == note_count(score.doc)
    event_id = first_event_id(score.doc)
    rect_of(page, event_id).click()
    page.wait_for_function(f"window.rescoredEditor.selection.join() === '{event_id}'")
    assert page.locator(f"{ROLL_NOTES}.is-selected").count() == 1
    page.keyboard.press("ArrowUp")  # a viewer's keys change nothing
    page.wait_for_timeout(300)
    assert bar(score.id, 0)[0] == [60]
    page.screenshot(path=ARTIFACTS / "piano-roll-viewer.png", full_page=True)
