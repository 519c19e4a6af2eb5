"""``belegsync worker --threads N``: one process serves N accounts at once, each once."""

from __future__ import annotations

import pytest

from belegsync.documents.models import Event

from . import harness as h

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_one_threaded_worker_transfers_several_accounts_at_once_exactly_once(run_fake):
    keys = [f"thread-key-{i}" for i in range(4)]
    fake = h.lexoffice_fake(run_fake, keys, rate=4)
    connections = h.seed(fake, connections=4, documents=24, keys=keys, rate=3.8, name="threads")
    h.every_connection_due_often(connections)
    fleet = h.Fleet(h.child_env(), 1, threads=4).start()
    try:
        assert h.wait_until(h.all_done(connections, 24), timeout=120), h.states(connections)
    finally:
        fleet.stop()
    assert set(h.copies(fake, h.numbers(connections)).values()) == {1}
    claimers = set(
        Event.objects.filter(action="claim", document__connection__in=connections).values_list(
            "actor", flat=True
        )
    )
    assert len(claimers) >= 2, f"the threads shared the work: {claimers}"
    assert fake.app.stats["rate_limited"] == 0
