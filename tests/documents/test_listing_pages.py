"""The list's fast paths give what a plain ORM filter gives: every page by keyset, the
page before, the total (exact, or "more than" the bound), for every filter the lists
offer (state, part of a number, invoice dates, connection), on random documents."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from belegsync.documents import listing
from belegsync.documents.listing import Filters, Found, Total
from belegsync.documents.models import Connection, Document

pytestmark = pytest.mark.django_db

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8"))
STATES = ["waiting", "done", "failed", "skipped"]
DAYS = [dt.date(2026, 10, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 1), None]
#: Numbers and search texts from one small alphabet, so that parts match often: cases,
#: LIKE's wildcards (characters here), a letter FTS5 folds but SQLite's LIKE does not.
ALPHABET = "RrEe-015_%Ä"
PREFIXES = ["RE-", "re-", "GS-", "Ä-", "R_", "R%", "ä-"]

document = st.tuples(
    st.sampled_from(PREFIXES),
    st.text("01", min_size=1, max_size=3),
    st.sampled_from(STATES),
    st.sampled_from(DAYS),
    st.integers(0, 2),  # connection: two of the organisation, one of another
)
filters = st.builds(
    Filters,
    state=st.sampled_from(["", *STATES]),
    number=st.one_of(st.just(""), st.text(ALPHABET, min_size=1, max_size=5)),
    date_from=st.sampled_from(DAYS),
    date_to=st.sampled_from(DAYS),
)


def part_of(number: str) -> st.SearchStrategy[str]:
    """A part of ``number`` as a merchant might type it: in another case, a character
    replaced by LIKE's wildcards (which must match only themselves)."""
    return (
        st.tuples(st.integers(0, len(number) - 1), st.integers(1, len(number)))
        .map(lambda cut: number[cut[0] : cut[0] + cut[1]])
        .flatmap(
            lambda part: st.sampled_from(
                [part, part.upper(), part.swapcase(), "_" + part[1:], part[:-1] + "%"]
            )
        )
        .filter(bool)
    )


def plain(org, chosen: Filters) -> list[int]:
    """What the list means, as the ORM says it: newest first."""
    found = Document.objects.filter(connection__organisation=org)
    if chosen.state:
        found = found.filter(state=chosen.state)
    if chosen.number:
        found = found.filter(source_number__icontains=chosen.number)
    if chosen.date_from:
        found = found.filter(invoice_date__gte=chosen.date_from)
    if chosen.date_to:
        found = found.filter(invoice_date__lte=chosen.date_to)
    if chosen.connection_id is not None:
        found = found.filter(connection_id=chosen.connection_id)
    return list(found.order_by("-id").values_list("id", flat=True))


def walked(org, connection_ids: list[int], chosen: Filters, size: int) -> list[list[int]]:
    """Every page of the list as the web pages it: keyset after keyset; each page's
    "previous" holds the page before."""
    documents = listing.filtered(
        Document.objects.filter(connection__organisation=org), connection_ids, chosen
    )
    pages: list[list[int]] = []
    after = None
    while True:
        found = Found(documents, connection_ids, chosen).ids(size + 1, after=after)
        pages.append(found[:size])
        if pages[-1] and len(pages) > 1:
            above = listing.ids(documents, chosen, size, above=pages[-1][0])
            assert sorted(above, reverse=True) == pages[-2], ("previous", len(pages))
        api_rows, api_next = listing.page(documents, chosen, after, size)
        assert [d.pk for d in api_rows] == pages[-1]
        if len(found) <= size:
            assert api_next is None
            return pages
        after = found[size - 1]
        assert api_next == after


@settings(
    max_examples=CASES * 5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    documents=st.lists(document, min_size=10, max_size=40),
    asked=st.lists(
        st.tuples(filters, st.integers(-1, 1), st.integers(1, 4)), min_size=1, max_size=6
    ),
    bound=st.integers(1, 12),
    probe=st.integers(0, 2),
    data=st.data(),
)
def test_the_pages_and_totals_are_those_of_a_plain_filter(
    org, other_org, monkeypatch, documents, asked, bound, probe, data
):
    """GIVEN random documents of two connections of an organisation and one of another
    WHEN a list is asked with any filters, paged in pages of 1 to 4 THEN its pages are the
    plain ORM filter's ids cut into pages, the page before each is the one shown before,
    and its total is their number, or "more than" the bound where there are more
    (PostgreSQL: whether its probe finds the matches within its bound or walks the ids)."""
    monkeypatch.setattr(listing, "TOTAL_BOUND", bound)
    # PostgreSQL's probe: from the total's bound (a common part walks the ids) upwards
    monkeypatch.setattr(listing, "PROBE_BOUND", bound + probe)
    with transaction.atomic():
        connections = [
            Connection.objects.create(
                organisation=owner, name=name, source_kind="memory", target_kind="memory"
            )
            for owner, name in ((org, "a"), (org, "b"), (other_org, "c"))
        ]
        seen: set[tuple[int, str]] = set()
        for prefix, digits, state, day, which in documents:
            number = f"{prefix}{digits}"
            if (which, number) in seen:
                continue  # the number is unique in a connection
            seen.add((which, number))
            Document.objects.create(
                connection=connections[which],
                source_number=number,
                state=state,
                invoice_date=day,
                voucher={},
            )
        mine = [c.pk for c in connections[:2]]
        for chosen, which, size in asked:
            if which >= 0:
                chosen = Filters(**{**chosen.__dict__, "connection_id": connections[which].pk})
            if seen and data.draw(st.integers(0, 2), label="a part of a stored number"):
                part = data.draw(st.sampled_from(sorted(n for _c, n in seen)).flatmap(part_of))
                chosen = Filters(**{**chosen.__dict__, "number": part})
            expected = plain(org, chosen)
            pages = walked(org, mine, chosen, size)
            assert [i for page in pages for i in page] == expected, chosen
            want = Total(bound, bounded=True) if len(expected) > bound else Total(len(expected))
            documents_of = listing.filtered(
                Document.objects.filter(connection__organisation=org), mine, chosen
            )
            assert listing.total(documents_of, mine, chosen) == _total_wanted(
                chosen, expected, want
            ), chosen
            found = Found(documents_of, mine, chosen)
            found.ids(size + 1)
            assert found.total() == _total_wanted(chosen, expected, want), chosen
        transaction.set_rollback(True)


def _total_wanted(chosen: Filters, expected: list[int], bounded: Total) -> Total:
    """A search counts up to the bound; every other list knows its exact size."""
    return bounded if chosen.number else Total(len(expected))


@pytest.mark.parametrize("probe", [3, 6, 7, 10])
def test_a_common_part_gives_the_same_pages_and_total_whichever_way_it_is_found(
    org, monkeypatch, probe
):
    """GIVEN seven documents whose numbers share "RE-", of which four are failed WHEN a
    search for "RE-" is paged with PostgreSQL's probe bound below, at and above the
    matches THEN the pages are the plain filter's and the total is "more than" the bound
    where there are more (the probe's matches sorted, or the id walk where it found
    more)."""
    monkeypatch.setattr(listing, "TOTAL_BOUND", 3)
    monkeypatch.setattr(listing, "PROBE_BOUND", probe)
    shop = Connection.objects.create(
        organisation=org, name="a", source_kind="memory", target_kind="memory"
    )
    for i in range(7):
        Document.objects.create(
            connection=shop,
            source_number=f"RE-{i}",
            state="failed" if i % 2 == 0 else "done",
            voucher={},
        )
    for chosen in (Filters(number="re-"), Filters(number="RE-", state="failed")):
        expected = plain(org, chosen)
        assert [i for page in walked(org, [shop.pk], chosen, 2) for i in page] == expected
        documents = listing.filtered(Document.objects.all(), [shop.pk], chosen)
        found = Found(documents, [shop.pk], chosen)
        assert found.ids(3) == expected[:3]
        assert found.total() == _total_wanted(chosen, expected, Total(3, bounded=True))
        assert listing.total(documents, [shop.pk], chosen) == found.total()
