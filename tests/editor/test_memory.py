"""The editor's cached docs are kept out of Python's full garbage collections once they are parsed."""
from __future__ import annotations

import gc

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.urls import reverse

from editor import memory

pytestmark = pytest.mark.django_db


def end_request(response) -> None:
    """The end of the request, as a server ends it (the test keeps its database connection,
    as Django's own test client does for streamed responses)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_serving_a_score_page_freezes_what_survives(client_alice, scale_score) -> None:
    assert gc.get_freeze_count() == 0
    response = client_alice.get(reverse("editor:score_detail", args=[scale_score.id]))
    assert response.status_code == 200
    end_request(response)
    assert gc.get_freeze_count() > 10_000


def test_a_page_served_from_the_cache_costs_no_collection(client_alice, scale_score,
                                                          django_capture_on_commit_callbacks) -> None:
    url = reverse("editor:score_detail", args=[scale_score.id])
    with django_capture_on_commit_callbacks(execute=True):  # the parsed doc goes into the cache on commit
        end_request(client_alice.get(url))  # parsed: settles
    gc.unfreeze()
    end_request(client_alice.get(url))  # the doc is cached: nothing new to settle
    assert gc.get_freeze_count() == 0


def test_a_settle_collects_cycles_that_became_garbage_since_the_last() -> None:
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    memory.settle()  # the pair is alive: frozen
    del a, b  # now an unreachable cycle, out of the collector's reach while frozen
    assert gc.collect() == 0
    gc.unfreeze()
    assert gc.collect() >= 2  # what the next settle does first: the pair is collected
