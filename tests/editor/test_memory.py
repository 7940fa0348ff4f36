"""The editor's cached docs are kept out of Python's full garbage collections once a score page is served."""
from __future__ import annotations

import gc

import pytest
from django.urls import reverse

from editor import memory

pytestmark = pytest.mark.django_db


def test_serving_a_score_page_freezes_what_survives(client_alice, scale_score) -> None:
    assert gc.get_freeze_count() == 0
    response = client_alice.get(reverse("editor:score_detail", args=[scale_score.id]))
    assert response.status_code == 200
    response.close()  # the end of the request, as a server ends it
    assert gc.get_freeze_count() > 10_000


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
