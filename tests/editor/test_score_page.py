import json
import re

import pytest
from django.urls import reverse

from tests.editor.conftest import first_event
from transcription.models import Score

pytestmark = pytest.mark.django_db


def test_owner_gets_the_editor_with_the_score_as_abc(client_alice, scale_score):
    page = client_alice.get(reverse("editor:score_detail", args=[scale_score.id])).content.decode()
    assert "abcjs-basic-min.js" in page and "js/editor.js" in page
    assert 'data-can-edit="true"' in page and 'role="toolbar"' in page
    state = _state(page)
    assert state["revision"] == 0 and "X:1" in state["abc"]
    # Every drawn note maps back to our ids.
    assert {e[2] for e in state["elements"] if e[3]} >= {first_event(scale_score.doc)["id"]}


def test_markup_in_a_title_reaches_the_page_escaped(client_alice, score):
    score.doc = {}
    score.title = score.job.title = "Minuet <in> G & more"
    score.save()
    page = client_alice.get(reverse("editor:score_detail", args=[score.id])).content.decode()
    assert "<in>" not in page.split("<body", 1)[1].replace("&lt;in&gt;", "")


def _state(html: str) -> dict:
    match = re.search(r'<script id="editor-state-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def _post(client, score, view, **data):
    return client.post(reverse(f"editor:{view}", args=[score.id]), data, HTTP_HX_REQUEST="true")


def test_an_edit_request_answers_with_the_changed_abc(client_alice, scale_score):
    event_id = first_event(scale_score.doc)["id"]
    response = _post(client_alice, scale_score, "score_edit", op="transpose", revision=0,
                     params=json.dumps({"ids": [event_id], "semitones": 1}))
    state = _state(response.content.decode())
    assert response.status_code == 200 and state["revision"] == 1 and state["canUndo"]
    assert "^C" in state["abc"] and state["selection"] == [event_id]
    response = _post(client_alice, scale_score, "score_undo", revision=1)
    assert _state(response.content.decode())["canRedo"]


def test_a_stale_edit_request_gets_409_with_the_latest_score(client_alice, scale_score):
    event_id = first_event(scale_score.doc)["id"]
    params = json.dumps({"ids": [event_id], "semitones": 1})
    _post(client_alice, scale_score, "score_edit", op="transpose", revision=0, params=params)
    response = _post(client_alice, scale_score, "score_edit", op="transpose", revision=0, params=params)
    state = _state(response.content.decode())
    assert response.status_code == 409 and state["conflict"] and "another tab" in state["message"]
    assert state["revision"] == 1


def test_bad_edit_requests_get_a_message_not_an_error_page(client_alice, scale_score):
    response = _post(client_alice, scale_score, "score_edit", op="explode", revision=0, params="{}")
    assert response.status_code == 422 and _state(response.content.decode())["error"]
    response = _post(client_alice, scale_score, "score_edit", op="transpose", revision=0, params="{nope")
    assert response.status_code == 422 and "not readable" in _state(response.content.decode())["message"]
    response = _post(client_alice, scale_score, "score_edit", op="set_tempo", revision=0,
                     params=json.dumps({"measure": 0, "bpm": 9000}))
    assert response.status_code == 422 and "between 20 and 400" in _state(response.content.decode())["message"]


def test_copy_returns_a_fragment_that_pastes(client_alice, scale_score):
    bar = [e["id"] for e in scale_score.doc["parts"][0]["measures"][0][0]["events"]]
    fragment = client_alice.post(reverse("editor:score_clipboard", args=[scale_score.id]), {"ids": ",".join(bar)}).json()["fragment"]
    response = _post(client_alice, scale_score, "score_edit", op="paste", revision=0,
                     params=json.dumps({"fragment": fragment, "part": "p1", "measure": 1, "offset": 0}))
    assert response.status_code == 200
    pitches = [e["notes"][0][1] for e in Score.objects.get(id=scale_score.id).doc["parts"][0]["measures"][1][0]["events"]]
    assert pitches == [60, 62, 64, 65]


def test_only_the_owner_may_edit(client, other_user, scale_score):
    client.force_login(other_user)
    response = _post(client, scale_score, "score_edit", op="transpose", revision=0, params="{}")
    assert response.status_code == 404


def test_other_users_get_not_found(client, other_user, score):
    client.force_login(other_user)
    assert client.get(reverse("editor:score_detail", args=[score.id])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, score):
    response = client.get(reverse("editor:score_detail", args=[score.id]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
