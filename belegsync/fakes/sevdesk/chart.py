"""The fake's chart of accounts: ReceiptGuidance entries of an SKR04 client.

The accountDatev ids are the same across charts, the account numbers are not
(reference README §3.1). Ids and numbers: [RSG] ``accounts_datev_data.go``
snapshot and [RS] ``receipt_guidance.json``; the rule/rate sets of 3617, 3618
and 3610 are "unverified" in the reference and follow the tax rule table of
the official spec ("sevdesk-Update 2.0 → Tax Rules").
"""

from __future__ import annotations

from typing import Any

#: Revenue tax rules: id → (guidance code, description).
REVENUE_RULES: dict[int, tuple[str, str]] = {
    1: ("USTPFL_UMS_EINN", "Umsatzsteuerpflichtige Umsätze"),
    2: ("AUSFUHREN", "Ausfuhren"),
    3: ("INNERGEM_LIEF", "Innergemeinschaftliche Lieferungen"),
    4: ("STFREIE_UMS_P4", "Steuerfreie Umsätze §4 UStG"),
    5: ("REV_CHARGE_13B_1", "Reverse Charge gem. §13b UStG"),
    17: ("NICHT_IM_INLAND_STEUERBAR", "Nicht im Inland steuerbare Leistung"),
    22: ("NICHT_STEUERBAR_REVENUE", "z.B. Durchlaufende Posten"),
}
EXPENSE_RULES: dict[int, tuple[str, str]] = {
    9: ("VORST_ABZUGSF_AUFW", "Vorsteuerabziehbare Aufwendungen"),
    16: ("NICHT_STEUERBAR_EXPENSE", "z.B. Privateinlagen oder Eigenverbrauch"),
}
SMALL_BUSINESS_RULE = (11, "KLEINUNTERNEHMER", "Steuer nicht erhoben nach §19 UStG")
#: One-Stop-Shop and §18b rules exist in sevDesk but are "not usable in vouchers" [SPEC].
NOT_FOR_VOUCHERS = frozenset({18, 19, 20, 21})

RATE_TOKENS = {"ZERO": 0, "SEVEN": 7, "NINETEEN": 19}

ALL = ("ZERO", "SEVEN", "NINETEEN")

#: (accountDatevId, SKR04 number, name, {rule id: rate tokens}, receipt types)
ACCOUNTS: tuple[tuple[int, str, str, dict[int, tuple[str, ...]], tuple[str, ...]], ...] = (
    (5192, "4400", "Erlöse 19 % USt", {1: ("NINETEEN",)}, ("REVENUE",)),
    (5186, "4300", "Erlöse 7 % USt", {1: ("SEVEN",)}, ("REVENUE",)),
    (3510, "4000", "Umsatzerlöse", {1: ALL, 17: ("ZERO",)}, ("REVENUE",)),
    (3618, "4125", "Steuerfreie innergemeinschaftliche Lieferungen", {3: ("ZERO",)}, ("REVENUE",)),
    (3617, "4120", "Steuerfreie Umsätze Drittland (Ausfuhr)", {2: ("ZERO",)}, ("REVENUE",)),
    (3610, "4100", "Steuerfreie Umsätze §4 Nr. 8 ff. UStG", {4: ("ZERO",)}, ("REVENUE",)),
    (5245, "4790", "Gewährte Rabatte 19 % USt", {1: ("NINETEEN",)}, ("REVENUE",)),
    (5243, "4780", "Gewährte Rabatte 7 % USt", {1: ("SEVEN",)}, ("REVENUE",)),
    (2578, "1370", "Durchlaufende Posten", {16: ("ZERO",), 22: ("ZERO",)}, ("REVENUE", "EXPENSE")),
    (4285, "6855", "Nebenkosten des Geldverkehrs", {9: ALL}, ("EXPENSE",)),
)


def guidance(small_business: bool = False) -> list[dict[str, Any]]:
    """``ReceiptGuideDto`` entries as sevDesk returns them (ids numbers, not strings).

    A small business (Kleinunternehmer) client is offered only rule 11 with rate
    ZERO on its revenue accounts [SPEC Update-2.0 tables].
    """
    entries = []
    for account_id, number, name, rules, types in ACCOUNTS:
        allowed = []
        for rule_id, rates in rules.items():
            is_revenue_rule = rule_id in REVENUE_RULES
            if small_business and is_revenue_rule:
                continue
            code, text = REVENUE_RULES.get(rule_id) or EXPENSE_RULES[rule_id]
            allowed.append(
                {"name": code, "id": rule_id, "description": text, "taxRates": list(rates)}
            )
        if small_business and "REVENUE" in types and account_id in (3510, 5192, 5186):
            rule_id, code, text = SMALL_BUSINESS_RULE
            allowed.append({"name": code, "id": rule_id, "description": text, "taxRates": ["ZERO"]})
        if not allowed:
            continue
        entries.append(
            {
                "accountDatevId": account_id,
                "accountNumber": number,
                "accountName": name,
                "description": name,
                "allowedTaxRules": allowed,
                "allowedReceiptTypes": list(types),
            }
        )
    return entries
