"""My scores and teaching, in a real browser against the real server."""
from __future__ import annotations

import pytest

from accounts import services as accounts_services
from accounts.models import ScoreOpening
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, make_job, make_score, make_user
from transcription.models import Job

pytestmark = [pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/new/")


def result_titles(page) -> list[str]:
    return page.locator("#history-results .job-title > a:first-child").all_inner_texts()


def wait_for_titles(page, *titles: str) -> None:
    """Wait until the results show exactly these titles (in any order)."""
    page.wait_for_function(
        """(wanted) => {
            const shown = [...document.querySelectorAll('#history-results .job-title > a:first-child')]
                .map(a => a.textContent.trim()).sort();
            return JSON.stringify(shown) === JSON.stringify(wanted);
        }""",
        arg=sorted(titles),
    )


def test_history_search_filter_and_pages_without_reloading(page, live_server_url, settings):
    user = make_user("pianist")
    make_score(user, "Moonlight Sonata", "piano")
    make_score(user, "Walking Bass", "bass")
    make_job(user, "Moon River", "failed")
    for i in range(21):
        make_job(user, f"Etude {i:02d}", "done")
    log_in(page, live_server_url, "pianist")
    page.goto(f"{live_server_url}/jobs/")
    assert "Page 1 of 2" in page.inner_text("#history-results")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    page.fill("input[name=q]", "moon")
    wait_for_titles(page, "Moon River", "Moonlight Sonata")
    assert "q=moon" in page.url  # the address keeps the search (back/forward and sharing work)

    page.select_option("select[name=status]", "failed")
    wait_for_titles(page, "Moon River")

    page.fill("input[name=q]", "")
    page.select_option("select[name=status]", "")
    page.select_option("select[name=instrument]", "bass")
    wait_for_titles(page, "Walking Bass")
    page.screenshot(path=ARTIFACTS / "history-filtered.png", full_page=True)

    page.select_option("select[name=instrument]", "")
    page.wait_for_function("document.querySelector('#history-results').innerText.includes('Page 1 of 2')")
    page.click("#history-results a[rel=next]")
    page.wait_for_function("document.querySelector('#history-results').innerText.includes('Page 2 of 2')")
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=ARTIFACTS / "history-page-2.png", full_page=True)


def test_teacher_shares_a_score_with_a_student_who_views_and_copies_it(page, live_server_url):
    teacher = make_user("teacher")
    accounts_services.profile_update(user=teacher, display_name="Ms Clara", email="", is_teacher=True, is_student=False)
    student = make_user("student")
    accounts_services.profile_update(user=student, display_name="Johannes", email="", is_teacher=False, is_student=True)
    score = make_score(teacher, "Kinderszenen")

    # The teacher makes a class.
    log_in(page, live_server_url, "teacher")
    page.goto(f"{live_server_url}/accounts/classes/")
    page.fill("input[name=name]", "Piano Tuesday")
    page.click("text=Create class")
    page.wait_for_selector("[data-join-code]")
    join_url = page.input_value("input.join-url")

    # The student follows the join link in a browser of their own.
    student_page = page.context.browser.new_context().new_page()
    log_in(student_page, live_server_url, "student")
    student_page.goto(join_url)
    student_page.click("text=Join the class")
    student_page.wait_for_url("**/accounts/shared/")
    assert "Kinderszenen" not in student_page.inner_text("main")

    # The teacher sees the student and shares the score with the class.
    page.reload()
    assert "Johannes" in page.inner_text("main")
    page.goto(f"{live_server_url}/accounts/scores/{score.id}/share/")
    page.check("text=Piano Tuesday")
    page.click("button:has-text('Share')")
    page.wait_for_selector("text=Class Piano Tuesday")

    # The student finds it, opens it read-only, and makes an own copy.
    student_page.goto(f"{live_server_url}/accounts/shared/")
    student_page.click("text=Kinderszenen")
    student_page.wait_for_url(f"**/scores/{score.id}/")
    student_page.wait_for_selector(".editor-score svg .abcjs-note", timeout=30_000)
    assert student_page.locator(".editor-toolbar").count() == 0  # no editing tools on the teacher's score
    student_page.screenshot(path=ARTIFACTS / "student-shared-score.png", full_page=True)
    student_page.goto(f"{live_server_url}/accounts/shared/")
    student_page.click("text=Make my own copy")
    student_page.wait_for_selector(".editor-toolbar", timeout=30_000)
    copy = Job.objects.get(owner=student)
    assert copy.copied_from_id == score.job_id and f"/scores/{copy.score.id}/" in student_page.url

    # The teacher sees who opened it.
    assert ScoreOpening.objects.filter(score=score, user=student).exists()
    page.reload()
    assert "Johannes" in page.inner_text("table.openings")
    page.screenshot(path=ARTIFACTS / "teacher-share-page.png", full_page=True)
