"""Check requests and responses against sevDesk's official OpenAPI spec.

``openapi.subset.json`` holds the operations belegsync uses, copied unchanged
from the official spec (source and hash in its ``info``). The official spec is
known to differ from what the real API does; each difference the checker
tolerates is named in :data:`ERRATA` with its evidence, so a tolerance is a
decision and not an accident. Everything else is checked: types, enums,
required fields, nested objects and arrays, ``$ref``.

A small validator instead of openapi-core: the spec needs these errata anyway,
and the subset of JSON Schema it uses (type, properties, required, enum,
items, nullable, $ref) is small.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("openapi.subset.json")
API_PREFIX = "/api/v1"

#: What the real API does differently from its spec, and the evidence (reference README §5).
ERRATA = {
    "wrapped": "Responses are wrapped in {'objects': …} also where the spec shows a bare "
    "object (saveVoucher, bookAmount, POST /Contact) [PATCH], [RS fixtures].",
    "string_scalars": "Ids, sums, status and booleans are strings ('156270656', '0.45', '1') "
    "where the spec declares number/integer/boolean [RS fixtures]; requests may send amounts "
    "as decimal strings, as [RS] does against the real API.",
    "nulls": "Fields are null where the spec does not mark them nullable (recorded responses).",
    "status_750": "Voucher status 750 (partially paid) exists although the spec's enum lists "
    "only 50/100/1000 [SPEC tag text], [NT].",
    "tax_rule_enum": "taxRule.id's enum lists 1-5 and 11 only, but the prose and the real API "
    "know the expense rules 8-10, 12-14, 16 and the revenue rules 17 and 22 [SPEC Update-2.0 "
    "tables], [RS receipt_guidance.json, write_voucher_save_create.json].",
    "voucher_required": "Model_Voucher requires taxType, which sevdesk-Update 2.0 replaced by "
    "taxRule; saveVoucher requires 'voucherPos' while the operation and every client use "
    "'voucherPosSave'; Model_VoucherPos requires accountingType (1.0 only), voucher (filled by "
    "the server) and both sumNet and sumGross (only the one matching 'net' is read) [SPEC "
    "prose, Update-2.0].",
}

#: Tax rule ids outside the spec's enum (erratum "tax_rule_enum").
EXTRA_TAX_RULES = frozenset({"8", "9", "10", "12", "13", "14", "16", "17", "22"})

#: Required fields dropped by the "voucher_required" erratum, per schema name.
NOT_REQUIRED = {
    "saveVoucher": {"voucherPos"},
    "Model_Voucher": {"taxType"},
    "Model_VoucherPos": {"accountingType", "voucher", "sumNet", "sumGross"},
    "Model_VoucherPosResponse": {"accountingType"},
}


@cache
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$")


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec's template and operation for a concrete request path."""
    path = path.removeprefix(API_PREFIX)
    for template, ops in spec()["paths"].items():
        if _template_regex(template).match(path) and method.lower() in ops:
            return template, ops[method.lower()]
    raise LookupError(f"{method} {path} is not in the spec subset")


def _resolve(schema: dict[str, Any]) -> tuple[dict[str, Any], str]:
    name = ""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec()["components"]["schemas"][name]
    return schema, name


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            Decimal(value)
        except InvalidOperation:
            return False
        return True
    return False


def _check(value: Any, schema: dict[str, Any], where: str, problems: list[str]) -> None:
    schema, name = _resolve(schema)
    if value is None:
        if schema.get("nullable") is False and "default" not in schema:
            problems.append(f"{where}: null where the spec forbids it")
        return  # erratum "nulls"
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    enum = schema.get("enum")
    partly_paid = where.endswith(".status") and str(value) == "750"  # erratum "status_750"
    other_rule = where.endswith(".taxRule.id") and str(value) in EXTRA_TAX_RULES
    if (
        enum is not None
        and str(value) not in [str(e) for e in enum]
        and not (partly_paid or other_rule)
    ):
        problems.append(f"{where}: {value!r} not in {enum}")
    if kind in ("number", "integer"):
        if not _is_number(value):  # erratum "string_scalars" for numeric strings
            problems.append(f"{where}: expected {kind}, got {value!r}")
        elif kind == "integer" and "." in str(value):
            problems.append(f"{where}: expected an integer, got {value!r}")
    elif kind == "boolean":
        if not (isinstance(value, bool) or value in ("0", "1")):
            problems.append(f"{where}: expected boolean, got {value!r}")
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: expected string, got {value!r}")
    elif kind == "array":
        if not isinstance(value, list):
            problems.append(f"{where}: expected array, got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            _check(item, schema.get("items", {}), f"{where}[{index}]", problems)
    elif kind == "object":
        if not isinstance(value, dict):
            problems.append(f"{where}: expected object, got {type(value).__name__}")
            return
        required = set(schema.get("required") or ()) - NOT_REQUIRED.get(name, set())
        for field in sorted(required - set(value)):
            problems.append(f"{where}: required field {field!r} missing")
        for field, sub in (schema.get("properties") or {}).items():
            if field in value:
                _check(value[field], sub, f"{where}.{field}", problems)


def check_request(method: str, path: str, body: Any) -> list[str]:
    """Problems of a JSON request body against the operation's request schema."""
    template, op = operation(method, path)
    content = (op.get("requestBody") or {}).get("content", {})
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None:
        return [] if body is None else [f"{method} {template}: the spec takes no JSON body"]
    problems: list[str] = []
    _check(body, schema, "body", problems)
    return problems


def check_response(method: str, path: str, status: int, body: Any) -> list[str]:
    """Problems of a response body against the spec's schema for that status."""
    template, op = operation(method, path)
    responses = op.get("responses", {})
    if str(status) not in responses:
        return [f"{method} {template}: status {status} is not documented"]
    content = responses[str(status)].get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None:
        return []  # documented without a body schema (401, 400, 500 …)
    resolved, _ = _resolve(schema)
    problems: list[str] = []
    if "objects" not in (resolved.get("properties") or {}) and isinstance(body, dict):
        if "objects" not in body and "error" not in body:
            problems.append("body: the real API wraps every answer in 'objects'")
            return problems
        body = body.get("objects")  # erratum "wrapped"
    _check(body, schema, "body", problems)
    return problems
