"""Every reason code reads as a sentence in German and English, filled and formatted."""

from __future__ import annotations

import ast
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from belegsync.bookkeeping import validate
from belegsync.connectors.reasons import Reason, as_json, from_json
from belegsync.reasons import catalogue, field_label, render
from belegsync.reasons.history import actor_label, entry
from tests.conftest import make_voucher

PACKAGE = Path(__file__).resolve().parents[2] / "belegsync"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: English words that must not appear in a German text (whole words, case-sensitive).
ENGLISH = re.compile(
    r"\b(the|and|or|is|are|not|with|from|your|please|failed|invoice|document|"
    r"settings|connection|account|payment|amount|line|Check|Correct|Reset)\b"
)
#: Formal address: the merchants know belegsync's voice as "du".
FORMAL = re.compile(
    r"\b(Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres|Ihnen)\b|\b\w+en Sie\b|\bSie (können|müssen)\b"
)

SAMPLES = {
    catalogue.MONEY: "65.80",
    catalogue.RATE: "19",
    catalogue.RATES: ["19", "7"],
    catalogue.DATE: "2026-11-02",
    catalogue.DATETIME: "2026-12-01T19:35:05.512069+00:00",
    catalogue.NUMBER: 3,
    catalogue.TREATMENT: "eu_distance_sale",
    catalogue.CATEGORY: "shipping",
    catalogue.PAYMENT_METHOD: "Amazon_Marketplace",
    catalogue.PAYMENT_METHODS: ["Billbee payment type 145", "PayPal"],
    catalogue.ORDER_STATE: 3,
    catalogue.ORDER_STATES: ["4", "7"],
    catalogue.KIND: "credit_note",
    catalogue.STATE: "failed",
    catalogue.STATES: ["done", "manual"],
    catalogue.TEXTS_LIST: ["a", "b"],
    catalogue.QUOTED: ["Gesamtbetrag brutto", "MwSt 19%"],
    catalogue.TEXT: "RE-1001",
}


def sample(code: str) -> Reason:
    names = set(PLACEHOLDER.findall(str(catalogue.TEXTS[code]))) - {"field", "line"}
    params = {name: SAMPLES[catalogue.PARAM_KINDS[name]] for name in names}
    return Reason(code, params, field="lines[1].gross")


@pytest.mark.parametrize("code", sorted(catalogue.TEXTS))
def test_every_code_reads_in_german_and_english(code):
    text = str(catalogue.TEXTS[code])
    for name in PLACEHOLDER.findall(text):
        assert name in catalogue.PARAM_KINDS, f"{code}: %({name})s has no kind"
    reason = sample(code)
    with translation.override("en"):
        english = render(reason)
    with translation.override("de"):
        german = render(reason)
    assert "Something went wrong" not in english
    assert "Etwas ist schiefgegangen" not in german
    assert german != english, f"{code} has no German text"
    assert not ENGLISH.search(german.replace("belegsync", "")), f"{code}: {german}"
    assert not FORMAL.search(german), f"{code} says Sie: {german}"
    for raw in ("65.80", "2026-11-02", "T19:35", "Amazon_Marketplace", "total_gross", "lines["):
        assert raw not in german, f"{code} shows {raw!r}: {german}"


def test_amounts_dates_and_fields_follow_the_reader():
    problem = validate(make_voucher(total_gross=Decimal("65.80")))[0]
    reason = Reason.of(problem)
    with translation.override("de"):
        assert render(reason) == (
            "Der Bruttobetrag 65,80\xa0€ ist nicht die Summe der Positionen (44,95\xa0€). "
            "Korrigiere die Rechnung in deinem Shopsystem."
        )
        assert field_label("lines[2].gross") == "Position 3: der Bruttobetrag"
        assert field_label("tax[5.5]") == "Die Steuer zu 5,5\xa0%"
    with translation.override("en"):
        assert render(reason).startswith("The gross total €65.80 is not the sum")


def test_a_reason_survives_storage_with_its_values():
    reason = Reason(
        "skip.before_start_date",
        {"order_date": dt.date(2026, 11, 2), "start_date": dt.date(2026, 12, 1)},
    )
    stored = as_json([reason])
    assert stored == [
        {
            "code": "skip.before_start_date",
            "params": {"order_date": "2026-11-02", "start_date": "2026-12-01"},
        }
    ]
    with translation.override("de"):
        assert render(from_json(stored)[0]).startswith(
            "Bestellt am 02.11.2026, vor dem Startdatum 01.12.2026"
        )


def test_an_unknown_code_still_reads_as_a_sentence():
    with translation.override("de"):
        assert render(Reason("nonesuch")) == (
            "Etwas ist schiefgegangen (Code nonesuch). Der Support kann dir mehr sagen."
        )
    assert render(Reason("legacy", {"text": "as it was recorded"})) == "as it was recorded"


def test_source_values_are_shown_by_their_names():
    with translation.override("de"):
        text = render(
            Reason(
                "skip.payment_not_mapped",
                {
                    "methods": ["Amazon_Marketplace", "Billbee payment type 145"],
                },
            )
        )
        assert "Amazon Marketplace, Billbee-Zahlungsart 145" in text
        state = render(
            Reason(
                "billbee.state_not_selected",
                {
                    "order_state": 3,
                    "order_states": ["4", "7"],
                },
            )
        )
        assert "„Zahlung erhalten“" in state and "Versendet, Abgeschlossen" in state


def test_history_says_who_in_words_never_a_worker_id():
    with translation.override("de"):
        assert actor_label("vm:24945") == "belegsync (automatisch)"
        assert actor_label("system") == "belegsync (automatisch)"
        assert actor_label("cli") == "Kommandozeile"
        assert actor_label("alice") == "alice"
        made = entry("step_remote", {"remote_id": "v-1", "adopted": False}, target="lexoffice")
        assert render(made.headline) == "In lexoffice angelegt: v-1"
        assert render(entry("step_mark_paid", {"paid": False}).headline) == (
            "Offen gelassen (nicht als bezahlt markiert)"
        )
        old = entry("fail", {"reason": "rejected"}, "lexoffice rejected the voucher: x")
        assert [r.code for r in old.reasons] == ["legacy"]


def _literal_codes() -> set[str]:
    """Reason codes written as literals where reasons are made (Reason, Problem, errors)."""
    codes: set[str] = set()
    makers = {"Reason", "recode"}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts or "fakes" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            arguments = list(node.args)
            if name in ("Problem", "NotBookable", "UnreadableOrder") and len(arguments) >= 2:
                arguments = [arguments[1]]  # (field or message, code, …)
            elif name not in makers:
                arguments = []
            else:
                arguments = arguments[:1]
            arguments += [k.value for k in node.keywords if k.arg == "code"]
            for argument in arguments:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    codes.add(argument.value)
    return codes


def test_every_code_the_code_makes_has_a_text():
    made = _literal_codes() - {catalogue.LEGACY}
    assert made, "the scan found no codes"
    missing = sorted(code for code in made if code not in catalogue.TEXTS)
    assert not missing, f"codes without a text in belegsync/reasons/catalogue.py: {missing}"
