import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_owner_sees_the_score_rendered_from_its_abc(client_alice, score):
    page = client_alice.get(reverse("editor:score_detail", args=[score.id])).content.decode()
    assert "abcjs-basic-min.js" in page and "js/score.js" in page
    # The ABC reaches the page JSON-encoded inside a script element, markup characters escaped.
    assert f'id="{score.abc_element_id}"' in page
    assert "T:Minuet \\u003Cin\\u003E G \\u0026 more" in page


def test_other_users_get_not_found(client, other_user, score):
    client.force_login(other_user)
    assert client.get(reverse("editor:score_detail", args=[score.id])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, score):
    response = client.get(reverse("editor:score_detail", args=[score.id]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
