"""Editing a score in a real browser against the real server: every change lands in the database."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from ml.notes import Note, Track, Transcription
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, make_user
from tests.ml.notation.test_edit import make_doc
from transcription.models import Job, Score

pytestmark = [pytest.mark.django_db(transaction=True)]


def make_score(user) -> Score:
    doc = make_doc(
        [[(0, 1, [60]), (1, 1, [62]), (2, 1, [64]), (3, 1, [65])],
         [(0, 2, [67]), (2, 2, [69])],
         [(0, 4, [72])]],
        lower=[[(0, 4, [48])], [(0, 4, [43])], [(0, 4, [48])]],
    )
    job = Job.objects.create(owner=user, title="Little scale", status=Job.Status.DONE)
    notes = Transcription(tracks=[Track("Piano", "piano", notes=[Note(60, 0.0, 0.5, 80)])], duration=6.0)
    score = Score(job=job, title="Little scale", notes=notes.to_dict(), doc=doc.to_dict())
    score.midi.save("score.mid", ContentFile(b"MThd"), save=False)
    score.save()
    return score


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def open_editor(page, base_url, score):
    page.goto(f"{base_url}/scores/{score.id}/")
    page.wait_for_selector("[data-editor-render] svg .abcjs-note")


def wait_revision(page, number):
    page.wait_for_function(f"document.querySelector('[data-editor]').dataset.revision === '{number}'", timeout=10_000)


def treble_notes(page):
    # The first staff's note heads in drawing order (voice 1 is the treble staff). Clicks are
    # forced: a ledger line drawn over a head would otherwise stop Playwright, not a user.
    return page.locator("[data-editor-render] svg .abcjs-note.abcjs-v0 .abcjs-notehead")


def bar(score_id, measure, staff=0):
    doc = Score.objects.get(id=score_id).doc
    voice = next(v for v in doc["parts"][0]["measures"][measure] if v["staff"] == staff)
    return [[n[1] for n in e["notes"]] for e in voice["events"]]


@pytest.fixture
def editor(page, live_server_url):
    user = make_user("composer")
    score = make_score(user)
    log_in(page, live_server_url, "composer")
    open_editor(page, live_server_url, score)
    return page, score


def test_select_a_note_raise_it_a_semitone_undo_and_redo(editor):
    page, score = editor
    treble_notes(page).first.click(force=True)
    page.wait_for_function("window.rescoredEditor.selection.length === 1")
    page.screenshot(path=ARTIFACTS / "editor-selected.png", full_page=True)
    page.keyboard.press("ArrowUp")
    wait_revision(page, 1)
    assert bar(score.id, 0)[0] == [61]
    assert page.locator("[data-editor-render] svg .rs-selected").count() >= 1  # still selected after the redraw
    page.screenshot(path=ARTIFACTS / "editor-raised.png", full_page=True)

    page.keyboard.press("Control+z")
    wait_revision(page, 0)
    assert bar(score.id, 0)[0] == [60]
    page.keyboard.press("Control+Shift+z")
    wait_revision(page, 1)
    assert bar(score.id, 0)[0] == [61]
    # Redo survives a reload: the history is on the server.
    page.keyboard.press("Control+z")
    wait_revision(page, 0)
    page.reload()
    page.wait_for_selector("[data-editor-render] svg .abcjs-note")
    assert page.locator("[data-command=redo]").is_enabled()
    page.click("[data-command=redo]")
    wait_revision(page, 1)
    assert bar(score.id, 0)[0] == [61]


def test_copy_a_bar_and_paste_it_into_the_next(editor):
    page, score = editor
    notes = treble_notes(page)
    notes.nth(0).click(force=True)
    notes.nth(3).click(modifiers=["Shift"], force=True)
    page.wait_for_function("window.rescoredEditor.selection.length === 4")
    page.keyboard.press("Control+c")
    page.wait_for_function("window.rescoredClipboard && window.rescoredClipboard.events.length === 4")
    notes.nth(4).click(force=True)  # the first note of bar 2 puts the cursor there
    page.keyboard.press("Control+v")
    wait_revision(page, 1)
    assert bar(score.id, 1) == bar(score.id, 0) == [[60], [62], [64], [65]]
    page.screenshot(path=ARTIFACTS / "editor-pasted.png", full_page=True)


def test_arrow_keys_walk_the_voice_and_shift_extends(editor):
    page, score = editor
    treble_notes(page).first.click(force=True)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("window.rescoredEditor.cursor.offset === '2'")
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_function("window.rescoredEditor.selection.length === 2")
    page.keyboard.press("Control+ArrowDown")  # both down an octave
    wait_revision(page, 1)
    assert bar(score.id, 0) == [[60], [62], [52], [53]]


def test_change_the_key(editor):
    page, score = editor
    treble_notes(page).first.click(force=True)
    page.click(".tool-menu summary")
    page.select_option("form[data-form=key] select[name=fifths]", "2")
    page.click("form[data-form=key] button")
    wait_revision(page, 1)
    doc = Score.objects.get(id=score.id).doc
    assert [m["key_fifths"] for m in doc["measures"]] == [2, 2, 2]
    assert page.locator("[data-editor-render] svg .abcjs-key-signature path, [data-editor-render] svg .abcjs-key-signature").count() > 0
    page.screenshot(path=ARTIFACTS / "editor-key.png", full_page=True)


def test_insert_notes_by_letter_and_change_durations(editor):
    page, score = editor
    treble_notes(page).nth(4).click(force=True)  # bar 2, beat 1: a half note G
    page.keyboard.press("4")  # eighth: the selected half note becomes an eighth
    wait_revision(page, 1)
    assert bar(score.id, 1) == [[67], [69]]
    page.keyboard.press("e")  # E at the cursor (over the G), as note entry does; the cursor moves on
    wait_revision(page, 2)
    page.keyboard.press("r")  # then an eighth rest
    wait_revision(page, 3)
    page.keyboard.press("f")
    wait_revision(page, 4)
    voice = Score.objects.get(id=score.id).doc["parts"][0]["measures"][1][0]["events"]
    assert [(e["offset"], e["duration"], [n[1] for n in e["notes"]]) for e in voice] == [
        ("0", "1/2", [64]), ("1/2", "1/2", []), ("1", "1/2", [65]), ("2", "2", [69])]
    page.screenshot(path=ARTIFACTS / "editor-typed.png", full_page=True)


def test_a_second_page_with_a_stale_score_gets_a_conflict_not_an_overwrite(editor, live_server_url):
    first, score = editor
    second = first.context.new_page()
    open_editor(second, live_server_url, score)
    treble_notes(first).first.click(force=True)
    first.keyboard.press("ArrowUp")
    wait_revision(first, 1)

    treble_notes(second).first.click(force=True)
    second.keyboard.press("ArrowDown")
    second.wait_for_selector(".editor-status.is-conflict")
    assert "another tab" in second.locator(".editor-status").inner_text()
    wait_revision(second, 1)  # refreshed to what the first page made
    second.screenshot(path=ARTIFACTS / "editor-conflict.png", full_page=True)
    assert bar(score.id, 0)[0] == [61]
    # After the refresh the second page edits normally.
    treble_notes(second).first.click(force=True)
    second.keyboard.press("ArrowUp")
    wait_revision(second, 2)
    assert bar(score.id, 0)[0] == [62]


def test_a_student_sees_and_switches_tabs_but_cannot_edit(page, live_server_url):
    from accounts import services as accounts

    teacher, student = make_user("teacher"), make_user("student")
    score = make_score(teacher)
    accounts.profile_update(user=teacher, display_name="Teacher", email="", is_teacher=True, is_student=False)
    accounts.profile_update(user=student, display_name="Student", email="", is_teacher=False, is_student=True)
    classroom = accounts.classroom_create(teacher=teacher, name="Piano 1")
    accounts.classroom_join(student=student, join_code=classroom.join_code)
    accounts.score_share(score=score, shared_by=teacher, classroom_ids=[classroom.id])
    log_in(page, live_server_url, "student")
    open_editor(page, live_server_url, score)
    assert page.locator("[role=toolbar]").count() == 0
    assert "only its owner can edit" in page.locator(".editor-readonly").inner_text()
    treble_notes(page).first.click(force=True)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Delete")
    page.locator(".editor-tabs [role=tab]", has_text="Piano").click()
    page.wait_for_function("window.rescoredEditor.state.partId === 'p1'")
    assert page.locator("[data-editor-render] svg .abcjs-note").count() > 0
    page.screenshot(path=ARTIFACTS / "editor-read-only.png", full_page=True)
    assert bar(score.id, 0)[0] == [60] and not score.revisions.filter(number__gt=0).exists()


def drag(page, locator, dx, dy):
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 6):
        page.mouse.move(x + dx * step / 5, y + dy * step / 5)
    page.mouse.up()


def test_box_select_then_drag_notes_up_and_sideways(editor):
    page, score = editor
    # A box over bar 2's two treble half notes selects them, and Delete turns them into rests.
    first, last = treble_notes(page).nth(4).bounding_box(), treble_notes(page).nth(5).bounding_box()
    page.mouse.move(first["x"] - 10, first["y"] - 40)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] + 10, last["y"] + 20, steps=6)
    page.screenshot(path=ARTIFACTS / "editor-box.png", full_page=True)
    page.mouse.up()
    page.wait_for_function("window.rescoredEditor.selection.length === 2")
    page.keyboard.press("Delete")
    wait_revision(page, 1)
    assert bar(score.id, 1) == [[], []]

    notes = treble_notes(page)
    drag(page, notes.nth(1), 0, -12)  # D up by staff steps (about 3 px each): lands on a key note above
    wait_revision(page, 2)
    raised = bar(score.id, 0)[1][0]
    assert raised > 62 and raised in (64, 65, 67, 69)  # C major: only white keys
    drag(page, treble_notes(page).nth(0), 70, 0)  # C later in the bar: overwrites what it lands on
    wait_revision(page, 3)
    voice = Score.objects.get(id=score.id).doc["parts"][0]["measures"][0][0]["events"]
    assert voice[0]["offset"] != "0" and [60] in [[n[1] for n in e["notes"]] for e in voice]
    page.screenshot(path=ARTIFACTS / "editor-dragged.png", full_page=True)


def test_score_menu_chord_symbol_tempo_time_and_bars(editor):
    page, score = editor
    treble_notes(page).nth(2).click(force=True)  # the cursor on bar 1, beat 3
    page.click(".tool-menu summary")
    page.fill("form[data-form=chord] input[name=symbol]", "Am7")
    page.click("form[data-form=chord] button")
    wait_revision(page, 1)
    assert page.locator("[data-editor-render] svg .abcjs-chord", has_text="Am7").count() == 1
    page.click(".tool-menu summary")  # the menu closes after each change; it opens on the cursor's values
    assert page.input_value("form[data-form=tempo] input[name=bpm]") == "100"
    assert page.input_value("form[data-form=chord] input[name=symbol]") == "Am7"
    page.fill("form[data-form=tempo] input[name=bpm]", "72")
    page.click("form[data-form=tempo] button")
    wait_revision(page, 2)
    page.click(".tool-menu summary")
    page.fill("form[data-form=time] input[name=beats]", "3")
    page.click("form[data-form=time] button")
    wait_revision(page, 3)
    page.click(".tool-menu summary")
    page.click("[data-command=append-measure]")
    wait_revision(page, 4)
    doc = Score.objects.get(id=score.id).doc
    assert doc["measures"][0]["chords"] == [["2", "Am7"]] and doc["measures"][0]["tempo"] == 72
    assert {tuple(m["time"]) for m in doc["measures"]} == {(3, 4)} and len(doc["measures"]) == 5
    page.screenshot(path=ARTIFACTS / "editor-menu.png", full_page=True)
    if not page.locator(".tool-menu[open]").count():
        page.click(".tool-menu summary")
    page.click("[data-command=delete-measure]")
    wait_revision(page, 5)
    assert len(Score.objects.get(id=score.id).doc["measures"]) == 4
