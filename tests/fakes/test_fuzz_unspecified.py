"""Bounded fuzzing of the doubles without an official spec: lexoffice and Afterbuy.

Generated parameters and bodies for the endpoints belegsync uses; no answer may be a
5xx (but the one lexoffice documents), and every refusal must be in the system's own
form (the contract plugin also checks every answer for HTML and crashes). The number
of cases is ``BELEGSYNC_FUZZ_CASES`` (default 8) times ten per endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import defusedxml.ElementTree as SafeXML
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from belegsync.fakes.afterbuy import build as build_afterbuy
from belegsync.fakes.base import RunningFake, serve_in_thread
from belegsync.fakes.lexoffice import LexofficeFake

CASES = int(os.environ.get("BELEGSYNC_FUZZ_CASES", "8")) * 10
KEY = "test-key"
TOKENS = ("00000000-1111-2222-3333-444444444444", "55555555-6666-7777-8888-999999999999")
BOUNDED = settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

values = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["", "-1", "0", "251", "abc", "2025-06-01", "2025-06-01T00:00:00", "any"]),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def lexoffice() -> Iterator[httpx.Client]:
    fake = serve_in_thread(LexofficeFake(api_keys=(KEY,), rate_per_second=0))
    with httpx.Client(
        base_url=f"{fake.url}/v1", headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        yield client
    fake.stop()


@pytest.fixture(scope="module")
def afterbuy() -> Iterator[RunningFake]:
    fake = serve_in_thread(
        build_afterbuy(
            ["--partner-token", TOKENS[0], "--account-token", TOKENS[1], "--orders", "30"]
        )
    )
    yield fake
    fake.stop()


LISTS = {
    "/voucherlist": ["voucherType", "voucherStatus", "voucherDateFrom", "voucherDateTo",
                     "updatedDateFrom", "voucherNumber", "page", "size", "sort", "archived"],
    "/contacts": ["name", "email", "number", "customer", "page", "size"],
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(LISTS))
def test_no_generated_list_query_makes_the_lexoffice_double_fail(lexoffice, path):
    @BOUNDED
    @given(st.dictionaries(st.sampled_from(LISTS[path]), values, max_size=5))
    def run(params: dict[str, str]) -> None:
        response = lexoffice.get(path, params=params)
        assert response.status_code < 500, (params, response.text[:200])
        assert response.headers["Content-Type"].startswith("application/json")

    run()


@pytest.mark.parametrize("path", ["/vouchers", "/contacts"])
def test_no_generated_body_makes_the_lexoffice_double_fail(lexoffice, path):
    @BOUNDED
    @given(json_values)
    def run(body: object) -> None:
        response = lexoffice.post(path, json=body)
        assert response.status_code < 500, (body, response.text[:200])
        assert response.headers["Content-Type"].startswith("application/json")

    run()


def sold_items_request(filters: list[tuple[str, str]], extra: dict[str, str]) -> bytes:
    parts = [
        "<Request><AfterbuyGlobal>",
        f"<PartnerToken>{TOKENS[0]}</PartnerToken><AccountToken>{TOKENS[1]}</AccountToken>",
        "<CallName>GetSoldItems</CallName></AfterbuyGlobal>",
        *(f"<{name}>{value}</{name}>" for name, value in extra.items()),
        "<DataFilter>",
        *(
            f"<Filter><FilterName>{name}</FilterName><FilterValues><FilterValue>{value}"
            "</FilterValue><ValueFrom>"
            + value
            + "</ValueFrom><DateFrom>"
            + value
            + "</DateFrom></FilterValues></Filter>"
            for name, value in filters
        ),
        "</DataFilter></Request>",
    ]
    return "".join(parts).encode()


xml_safe = st.text(alphabet=st.characters(codec="ascii", exclude_characters="<>&"), max_size=12)


def test_no_generated_call_makes_the_afterbuy_double_fail(afterbuy):
    filters = st.lists(
        st.tuples(
            st.sampled_from(
                ["OrderID", "RangeID", "DateFilter", "DefaultFilter", "Plattform", "Tag", "Unknown"]
            ),
            xml_safe,
        ),
        max_size=3,
    )
    extra = st.dictionaries(
        st.sampled_from(["MaxSoldItems", "OrderDirection", "RequestAllItems", "ReturnHiddenItems"]),
        xml_safe,
        max_size=3,
    )

    @BOUNDED
    @given(filters, extra, st.booleans())
    def run(chosen: list[tuple[str, str]], more: dict[str, str], garble: bool) -> None:
        body = sold_items_request(chosen, more)
        if garble:
            body = body[: len(body) // 2]
        response = httpx.post(f"{afterbuy.url}/afterbuy/ABInterface.aspx", content=body)
        assert response.status_code == 200, response.text[:200]
        root = SafeXML.fromstring(response.content)
        assert root.tag == "Afterbuy" and root.findtext("CallStatus") in (
            "Success",
            "Warning",
            "Error",
        )

    run()
