import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_up_logs_the_new_user_in(client):
    response = client.post(
        reverse("sign_up"), {"username": "clara", "password1": "Schumann-Op-15", "password2": "Schumann-Op-15"}
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="clara").exists()
    page = client.get(reverse("transcription:job_new")).content.decode()
    assert "clara" in page and "Log out" in page


def test_sign_up_shows_what_is_wrong(client):
    response = client.post(reverse("sign_up"), {"username": "clara", "password1": "abc", "password2": "abd"})
    assert response.status_code == 400
    assert "didn’t match" in response.content.decode()


def test_log_in_and_log_out(client, user):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert "alice" in client.get(reverse("transcription:job_list")).content.decode()
    client.post(reverse("logout"))
    assert client.get(reverse("transcription:job_list")).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, user):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


@pytest.mark.parametrize("name", ["home", "login", "sign_up"])
def test_pages_are_styled(client, name):
    page = client.get(reverse(name)).content.decode()
    assert "css/site.css" in page and "Rescored" in page
