"""The optional RQ/Redis backend and the shared token buckets."""

from __future__ import annotations

import uuid

import pytest

from belegsync.connectors.ratelimit import Rate
from belegsync.documents.states import State
from belegsync.sync.models import RateBucket
from belegsync.sync.ratelimit import DatabaseBucket, RedisBucket

from . import harness as h

REDIS_URL = "redis://127.0.0.1:6379/13"


def redis_or_skip():
    redis = pytest.importorskip("redis", reason="the rq extra (belegsync[rq]) is not installed")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}: start one to test the RQ backend")
    return client


@pytest.mark.django_db
def test_the_database_bucket_spaces_requests_at_the_rate_for_all_callers():
    clock = [1000.0]
    bucket = DatabaseBucket(Rate(per_second=2, burst=1), "test", clock=lambda: clock[0])
    other = DatabaseBucket(Rate(per_second=2, burst=1), "test", clock=lambda: clock[0])
    waits = [bucket.reserve("acct"), other.reserve("acct"), bucket.reserve("acct")]
    assert waits == [0.0, 0.5, 1.0]  # a second worker queues behind the first
    clock[0] += 5
    assert other.reserve("acct") == 0.0  # refilled, but never beyond the burst
    assert other.reserve("acct") == 0.5
    assert RateBucket.objects.get().key == "test:acct"


def test_the_redis_bucket_spaces_requests_at_the_rate_for_all_callers():
    redis_or_skip()
    key = uuid.uuid4().hex
    first = RedisBucket(Rate(per_second=4, burst=1), "test", REDIS_URL)
    second = RedisBucket(Rate(per_second=4, burst=1), "test", REDIS_URL)
    waits = [first.reserve(key), second.reserve(key), first.reserve(key)]
    assert waits[0] == 0.0
    assert 0.2 < waits[1] <= 0.25 and 0.45 < waits[2] <= 0.5


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_rq_workers_transfer_everything_once_with_the_redis_bucket(run_fake):
    """GIVEN BELEGSYNC_TASK_BACKEND=rq and the Redis limiter
    WHEN the scheduler enqueues into Redis and two `belegsync worker` (rqworker) run
    THEN every document is done and each voucher exists once, under the account's limit."""
    client = redis_or_skip()
    client.flushdb()
    fake = h.lexoffice_fake(run_fake, ["rq-key"], rate=10)
    connections = h.seed(fake, connections=3, documents=30, keys=["rq-key"], rate=9.5, name="rq")
    h.every_connection_due_often(connections)
    env = h.child_env(
        BELEGSYNC_TASK_BACKEND="rq",
        BELEGSYNC_REDIS_URL=REDIS_URL,
        BELEGSYNC_SHARED_LIMITER="redis",
    )
    fleet = h.Fleet(env, 2).start()
    try:
        assert h.wait_until(h.all_done(connections, 30), timeout=60)
    finally:
        fleet.stop()
    assert h.states(connections) == {State.DONE: 30}
    assert set(h.copies(fake, h.numbers(connections)).values()) == {1}
    assert fake.app.stats["rate_limited"] == 0
    assert client.keys("belegsync:rate:lexoffice:*")  # the shared bucket lived in Redis
