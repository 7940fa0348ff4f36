"""Teachers, classes, students, shared scores and share links."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Classroom, ShareLink
from tests.factories import make_score, make_user
from transcription.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(db):
    user = make_user("teacher")
    services.profile_update(user=user, display_name="Mr Bach", email="", is_teacher=True, is_student=False)
    return user


@pytest.fixture
def student(db):
    return make_user("student")


@pytest.fixture
def classroom(teacher, student):
    room = services.classroom_create(teacher=teacher, name="Piano 1")
    services.classroom_join(student=student, join_code=room.join_code)
    return room


@pytest.fixture
def score(teacher):
    return make_score(teacher, "Prelude in C")


def test_only_teachers_create_classes_with_a_clear_message(client, student):
    client.force_login(student)
    response = client.post(reverse("class_list"), {"name": "Mine"})
    assert response.status_code == 400 and "tick “I teach”" in response.content.decode()
    assert not Classroom.objects.exists()


def test_teacher_creates_a_class_with_a_readable_code_and_a_join_link(client, teacher):
    client.force_login(teacher)
    response = client.post(reverse("class_list"), {"name": "Theory"}, follow=True)
    room = Classroom.objects.get()
    page = response.content.decode()
    assert room.join_code in page and f"http://testserver/accounts/classes/join/{room.join_code}/" in page
    assert len(room.join_code) == 8 and not set(room.join_code) & set("01OIL")


def test_student_joins_by_code_and_by_link(client, teacher, student):
    room = services.classroom_create(teacher=teacher, name="Theory")
    client.force_login(student)
    client.post(reverse("class_join"), {"join_code": room.join_code.lower()})
    assert room.students.filter(id=student.id).exists()
    other = make_user("other")
    client.force_login(other)
    assert "Join the class" in client.get(room.get_join_url()).content.decode()
    client.post(room.get_join_url())
    assert room.students.filter(id=other.id).exists()
    other.profile.refresh_from_db()
    assert other.profile.is_student


def test_a_wrong_code_says_so(client, student):
    client.force_login(student)
    response = client.post(reverse("class_join"), {"join_code": "ZZZZZZZZ"}, follow=True)
    assert "No class has that join code" in response.content.decode()


def test_anonymous_join_link_asks_to_log_in_and_comes_back(client, classroom):
    response = client.get(classroom.get_join_url())
    assert response.status_code == 302 and "next=" in response["Location"]


def test_shared_with_a_class_the_student_views_plays_exports_but_cannot_edit(client, teacher, student, classroom, score):
    client.force_login(teacher)
    client.post(reverse("score_share", args=[score.id]), {"classrooms": [classroom.id]})
    client.force_login(student)
    listing = client.get(reverse("shared_with_me")).content.decode()
    assert "Prelude in C" in listing and "Mr Bach" in listing
    assert client.get(reverse("editor:score_detail", args=[score.id])).status_code == 200
    download = client.get(reverse("editor:score_download", args=[score.id, "midi"]))
    assert download.status_code == 200 and download.content.startswith(b"MThd")
    # The owner's pages stay closed: share settings, the job page, rename, delete.
    assert client.get(reverse("score_share", args=[score.id])).status_code == 404
    assert client.get(score.job.get_absolute_url()).status_code == 404
    assert client.post(reverse("transcription:job_delete", args=[score.job_id])).status_code == 404
    from editor.selectors import score_get_for_editing
    from django.http import Http404

    with pytest.raises(Http404):
        score_get_for_editing(user=student, score_id=score.id)


def test_make_my_own_copy_gives_the_student_an_editable_score_and_leaves_the_original(client, student, classroom, score, teacher):
    services.score_share(score=score, shared_by=teacher, classroom_ids=[classroom.id])
    client.force_login(student)
    response = client.post(reverse("score_copy", args=[score.id]))
    copy = Job.objects.get(owner=student)
    assert response["Location"] == reverse("editor:score_detail", args=[copy.score.id])
    assert copy.copied_from_id == score.job_id and copy.score.notes == score.notes
    assert copy.score.midi.name != score.midi.name and copy.score.midi.read() == score.midi.open("rb").read()
    from editor.selectors import score_get_for_editing

    assert score_get_for_editing(user=student, score_id=copy.score.id) == copy.score
    score.refresh_from_db()
    assert score.job.owner == teacher


def test_teacher_sees_who_opened_the_shared_score(client, teacher, student, classroom, score):
    services.score_share(score=score, shared_by=teacher, classroom_ids=[classroom.id])
    services.profile_update(user=student, display_name="Little Wolfgang", email="", is_teacher=False, is_student=True)
    client.force_login(student)
    response = client.get(reverse("shared_open", args=[score.id]))
    assert response["Location"] == reverse("editor:score_detail", args=[score.id])
    client.get(reverse("shared_open", args=[score.id]))
    client.force_login(teacher)
    page = client.get(reverse("score_share", args=[score.id])).content.decode()
    assert "Little Wolfgang" in page and "<td>2</td>" in page


def test_share_with_a_single_student_only(client, teacher, student, classroom, score):
    classmate = make_user("classmate")
    services.classroom_join(student=classmate, join_code=classroom.join_code)
    client.force_login(teacher)
    client.post(reverse("score_share", args=[score.id]), {"students": [student.id]})
    client.force_login(classmate)
    assert "Prelude" not in client.get(reverse("shared_with_me")).content.decode()
    assert client.get(reverse("editor:score_detail", args=[score.id])).status_code == 404
    client.force_login(student)
    assert client.get(reverse("editor:score_detail", args=[score.id])).status_code == 200


def test_teacher_cannot_share_with_someone_outside_their_classes(teacher, score):
    stranger = make_user("stranger")
    with pytest.raises(services.AccountsError):
        services.score_share(score=score, shared_by=teacher, student_ids=[stranger.id])


def test_removed_student_loses_access(client, teacher, student, classroom, score):
    services.score_share(score=score, shared_by=teacher, classroom_ids=[classroom.id])
    services.score_share(score=score, shared_by=teacher, student_ids=[student.id])
    client.force_login(teacher)
    client.post(reverse("class_remove_student", args=[classroom.id, student.id]))
    assert not classroom.students.exists()
    client.force_login(student)
    assert client.get(reverse("editor:score_detail", args=[score.id])).status_code == 404
    assert "Prelude" not in client.get(reverse("shared_with_me")).content.decode()


def test_another_teacher_cannot_manage_my_class(client, classroom, student):
    intruder = make_user("intruder")
    client.force_login(intruder)
    assert client.get(classroom.get_absolute_url()).status_code == 404
    assert client.post(reverse("class_remove_student", args=[classroom.id, student.id])).status_code == 404
    assert classroom.students.filter(id=student.id).exists()


def test_share_link_opens_read_only_without_login_and_downloads(client, teacher, score):
    client.force_login(teacher)
    client.post(reverse("share_link_create", args=[score.id]), {"expires_in_days": ""})
    link = ShareLink.objects.get()
    assert len(link.token) >= 43  # 256 random bits
    client.logout()
    page = client.get(link.get_absolute_url())
    assert page.status_code == 200 and "Prelude in C" in page.content.decode()
    assert page.context["can_edit"] is False
    midi = reverse("share_link_download", args=[link.token, "midi"])
    assert midi in page.content.decode()
    assert client.get(midi).content.startswith(b"MThd")


def test_revoked_and_expired_links_stop_working(client, teacher, score):
    live = services.share_link_create(score=score, created_by=teacher, expires_in_days=7)
    expired = services.share_link_create(score=score, created_by=teacher, expires_in_days=1)
    ShareLink.objects.filter(id=expired.id).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(live.get_absolute_url()).status_code == 200
    assert client.get(expired.get_absolute_url()).status_code == 404
    client.force_login(teacher)
    client.post(reverse("share_link_revoke", args=[score.id, live.id]))
    client.logout()
    assert client.get(live.get_absolute_url()).status_code == 404
    assert client.get(reverse("share_link_download", args=[live.token, "midi"])).status_code == 404
    assert client.get(reverse("share_link", args=["not-a-real-token"])).status_code == 404
