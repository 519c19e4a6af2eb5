"""Logins are throttled per user name and per address; passwords must pass the validators."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db

ALICE_RIGHT = {"username": "alice", "password": "alice-password-1"}


def login(client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, times: int, username: str = "alice", address: str = "198.51.100.7") -> list[int]:
    return [login(client, username, "wrong", address).status_code for _ in range(times)]


def test_it_locks_a_user_out_after_five_failures_even_for_the_right_password(client, alice):
    assert fail(client, 5) == [200, 200, 200, 200, 429]
    response = login(client, **ALICE_RIGHT)
    assert response.status_code == 429
    assert client.get("/").status_code == 302  # not logged in


def test_it_locks_the_user_out_from_every_address(client, alice):
    for n in range(5):
        login(client, "alice", "wrong", address=f"203.0.113.{n}")
    assert login(client, **ALICE_RIGHT, address="192.0.2.99").status_code == 429


def test_it_locks_an_address_out_for_every_user(client, alice, bob):
    for name in ("mallory", "trudy", "eve", "oscar", "peggy"):
        login(client, name, "guess", address="198.51.100.66")
    assert login(client, "bob", "bob-password-1", address="198.51.100.66").status_code == 429
    # the users themselves are not locked from elsewhere
    assert login(client, "bob", "bob-password-1", address="192.0.2.1").status_code == 302


def test_fifty_wrong_passwords_in_a_row_are_refused_after_the_fifth(client, alice):
    codes = fail(client, 50)
    assert codes.count(429) == 46
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 50


def test_it_lets_the_user_in_again_after_the_cool_off(client, alice):
    fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert login(client, **ALICE_RIGHT).status_code == 302


def test_a_successful_login_forgets_earlier_failures(client, alice):
    fail(client, 4)
    assert login(client, **ALICE_RIGHT).status_code == 302
    client.post("/logout/")
    assert fail(client, 4) == [200] * 4


def test_the_administrator_unlocks_a_user(client, alice):
    fail(client, 5)
    call_command("axes_reset_username", "alice")
    assert login(client, **ALICE_RIGHT).status_code == 302


def test_the_lockout_page_says_what_happened_in_german(client, alice):
    client.cookies["django_language"] = "de"
    for _ in range(5):
        response = login(client, "alice", "wrong")
    page = response.content.decode()
    assert response.status_code == 429
    assert "15 Minuten" in page
    assert "Sie " not in page


# -- behind a reverse proxy (BELEGSYNC_CLIENT_IP_HEADER) ---------------------------------

PROXY = "10.0.0.2"


def via_proxy(client, username: str, password: str, forwarded: str):
    """A login as the proxy passes it on: from the proxy's address, with its header."""
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.fixture
def behind_a_proxy(settings):
    settings.BELEGSYNC_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.BELEGSYNC_TRUSTED_PROXIES = 1
    return settings


def test_two_visitors_behind_one_proxy_are_throttled_each_on_their_own(
    client, alice, bob, behind_a_proxy
):
    """GIVEN one proxy in front, trusted to name the visitor in X-Forwarded-For
    WHEN an attacker at one address guesses five times
    THEN that address is locked, and bob behind the same proxy still logs in."""
    for name in ("mallory", "trudy", "eve", "oscar", "peggy"):
        via_proxy(client, name, "guess", "198.51.100.66")
    assert via_proxy(client, "bob", "bob-password-1", "198.51.100.66").status_code == 429
    assert via_proxy(client, "bob", "bob-password-1", "192.0.2.1").status_code == 302
    counted = AccessAttempt.objects.values_list("ip_address", flat=True).distinct()
    assert set(counted) == {"198.51.100.66"}  # never the proxy's own address


def test_a_forged_header_is_ignored_without_the_setting(client, alice, bob):
    """GIVEN no client-IP header configured
    WHEN a guesser sends a new X-Forwarded-For with every try
    THEN it is counted by its connection's address and locked all the same."""
    for n, name in enumerate(("mallory", "trudy", "eve", "oscar", "peggy")):
        via_proxy(client, name, "guess", f"203.0.113.{n}")
    assert via_proxy(client, "bob", "bob-password-1", "192.0.2.1").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


def test_entries_before_the_trusted_proxies_are_not_trusted(client, alice, bob, behind_a_proxy):
    """GIVEN one trusted proxy, which appends the address it was connected from
    WHEN the guesser puts a fresh address of its own in front with every try
    THEN only the proxy's entry counts: the guesser is locked by its real address."""
    for n, name in enumerate(("mallory", "trudy", "eve", "oscar", "peggy")):
        via_proxy(client, name, "guess", f"203.0.113.{n}, 198.51.100.66")
    assert via_proxy(client, "bob", "bob-password-1", "1.2.3.4, 198.51.100.66").status_code == 429
    assert via_proxy(client, "bob", "bob-password-1", "198.51.100.66, 192.0.2.1").status_code == 302


def test_with_two_proxies_the_entry_the_outer_one_wrote_counts(client, alice, behind_a_proxy):
    behind_a_proxy.BELEGSYNC_TRUSTED_PROXIES = 2
    for n in range(5):
        via_proxy(client, f"guess{n}", "guess", f"203.0.113.{n}, 198.51.100.66, 10.0.0.9")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}


@pytest.mark.parametrize(
    ("forwarded", "counted"),
    [
        ("", PROXY),  # the request did not pass the proxy: its own peer
        ("not-an-address", PROXY),
        ("  2001:DB8::1 ", "2001:db8::1"),
    ],
)
def test_a_missing_or_broken_header_counts_the_connection(
    client, alice, behind_a_proxy, forwarded, counted
):
    via_proxy(client, "alice", "wrong", forwarded)
    assert AccessAttempt.objects.get().ip_address == counted


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("1", "too short"),
        ("short-pw-1", "too short"),
        ("123456789012345", "entirely numeric"),
        ("qwertyqwerty", "too common"),
        ("wunderland12", "too similar"),
    ],
)
def test_it_refuses_weak_new_passwords(client, alice, password, complaint):
    alice.email = "alice.wunderland@example.org"
    alice.save()
    client.force_login(alice)
    response = client.post(
        "/account/password/",
        {"old_password": "alice-password-1", "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert complaint in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("alice-password-1")
