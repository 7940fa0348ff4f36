"""Password change and reset by mail, the profile, and login lockout."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_change_password_then_log_in_with_the_new_one(client_alice, client):
    response = client_alice.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Goldberg-Aria-1741", "new_password2": "Goldberg-Aria-1741"})
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    client_alice.post(reverse("logout"))
    assert client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 200  # refused
    assert client.post(reverse("login"), {"username": "alice", "password": "Goldberg-Aria-1741"}).status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(client):
    make_user("bea", email="bea@example.org")
    response = client.post(reverse("password_reset"), {"email": "bea@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bea@example.org"]
    assert "Rescored" in mail.outbox[0].subject
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]  # Django swaps the token into the session
    response = client.post(form_url, {"new_password1": "Nocturne-Op-9-No-2", "new_password2": "Nocturne-Op-9-No-2"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    assert get_user_model().objects.get(username="bea").check_password("Nocturne-Op-9-No-2")
    # The link works once.
    assert "invalid" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_email_sends_nothing_and_tells_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your mail" in response.content.decode()
    assert mail.outbox == []


def test_mail_goes_to_the_console_unless_smtp_is_configured():
    from rescored_site import settings as site_settings

    assert site_settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"


def test_profile_sets_display_name_and_roles_shown_in_the_menu(client_alice, user):
    response = client_alice.post(reverse("profile"), {
        "display_name": "Ms Alice", "email": "alice@example.org", "is_teacher": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.profile.display_name == "Ms Alice" and user.profile.is_teacher and not user.profile.is_student
    assert user.email == "alice@example.org"
    assert "Ms Alice" in client_alice.get(reverse("transcription:job_list")).content.decode()


def test_sign_up_creates_a_profile_and_keeps_the_email(client):
    client.post(reverse("sign_up"), {"username": "clara", "email": "clara@example.org",
                                     "password1": "Schumann-Op-15", "password2": "Schumann-Op-15"})
    clara = get_user_model().objects.get(username="clara")
    assert clara.email == "clara@example.org" and clara.profile.display_name == ""


def test_too_many_wrong_passwords_lock_the_login_even_with_the_right_one(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_so_others_can_still_log_in(client, user, other_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "mallory", "password": PASSWORD}).status_code == 302


def test_a_success_resets_the_count(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 302
