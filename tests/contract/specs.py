"""The official specs of sevDesk and Billbee, with the short list of their errata.

An erratum is a named, evidenced difference between a spec and what the real
service does, written as a change to the spec. The patched spec is what the
doubles' answers and belegsync's requests are checked against: a request or an
answer outside the official spec passes only through an erratum listed here.
Evidence keys are those of tests/reference/<system>/SOURCES.md ([RS] = the
recorded real sevDesk answers in examples/recorded, [PHP] = Billbee's official
PHP SDK, …).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from tests.reference import REFERENCE

Raw = dict[str, Any]

SPEC_FILES = {
    "sevdesk": REFERENCE / "sevdesk" / "openapi.official.json",
    "billbee": REFERENCE / "billbee" / "billbee-swagger-v1.yaml",
}
#: The path every request of a system starts with, in front of the spec's templates.
BASE_PATHS = {"sevdesk": "/api/v1", "billbee": ""}
NUMERIC = r"^-?\d+(\.\d+)?$"


@dataclass(frozen=True)
class Erratum:
    name: str
    #: Why this is how the real service behaves, with the sources.
    evidence: str
    patch: Callable[[Raw], None]


# -- walking a spec ----------------------------------------------------------------------------


def _named_schemas(raw: Raw) -> dict[str, Raw]:
    return raw["components"]["schemas"] if "components" in raw else raw["definitions"]


def _subschemas(schema: Raw) -> Iterator[Raw]:
    for key in ("properties",):
        for sub in (schema.get(key) or {}).values():
            if isinstance(sub, dict):
                yield sub
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield schema[key]
    for key in ("allOf", "anyOf", "oneOf"):
        yield from (s for s in schema.get(key) or () if isinstance(s, dict))


def every_schema(raw: Raw) -> Iterator[Raw]:
    """Every schema object of the spec: named ones, inline bodies, parameters, responses."""
    roots: list[Raw] = list(_named_schemas(raw).values())
    for operations in raw["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters") or ():
                roots.append(parameter.get("schema") or parameter)
            body = (operation.get("requestBody") or {}).get("content") or {}
            roots += [c["schema"] for c in body.values() if "schema" in c]
            for response in (operation.get("responses") or {}).values():
                roots += [
                    c["schema"] for c in (response.get("content") or {}).values() if "schema" in c
                ]
                if "schema" in response:
                    roots.append(response["schema"])
    seen: set[int] = set()
    stack = roots
    while stack:
        schema = stack.pop()
        if id(schema) in seen:
            continue
        seen.add(id(schema))
        yield schema
        stack.extend(_subschemas(schema))


def operations(raw: Raw) -> Iterator[tuple[str, str, Raw]]:
    for template, ops in raw["paths"].items():
        for method, operation in ops.items():
            if isinstance(operation, dict) and method != "parameters":
                yield method.upper(), template, operation


# -- sevDesk -------------------------------------------------------------------------------------

SEVDESK_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": {"type": "string"},
                "code": {"type": "integer", "nullable": True},
                "responseCode": {"type": "integer"},
                "exceptionUUID": {"type": "string"},
            },
        },
        "objects": {"nullable": True},
    },
}


def _sevdesk_wrap(raw: Raw) -> None:
    for _, _, operation in operations(raw):
        for status, response in (operation.get("responses") or {}).items():
            content = (response.get("content") or {}).get("application/json")
            if not status.startswith("2") or not content or "schema" not in content:
                continue
            schema = content["schema"]
            resolved = _resolve(raw, schema)
            if "objects" not in (resolved.get("properties") or {}):
                content["schema"] = {
                    "type": "object",
                    "required": ["objects"],
                    "properties": {"objects": schema},
                }


def _resolve(raw: Raw, schema: Raw) -> Raw:
    while "$ref" in schema:
        schema = _named_schemas(raw)[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _typing(schema: Raw) -> Raw:
    """The keys of a schema that constrain a value (not its prose or nullability)."""
    return {k: v for k, v in schema.items() if k not in ("nullable", "description", "example")}


def _string_scalars(raw: Raw) -> None:
    for schema in list(every_schema(raw)):
        kind = schema.get("type")
        if kind not in ("number", "integer", "boolean"):
            continue
        as_string: Raw = {"type": "string"}
        if kind == "boolean":
            as_string["enum"] = ["0", "1"]
        elif "enum" in schema:
            as_string["enum"] = [str(value) for value in schema["enum"]]
        else:
            as_string["pattern"] = NUMERIC
        original = {
            k: v for k, v in schema.items() if k not in ("nullable", "description", "example")
        }
        for key in list(original):
            schema.pop(key, None)
        schema["anyOf"] = [original, as_string]


def _nullable_everywhere(raw: Raw) -> None:
    for schema in every_schema(raw):
        if "$ref" not in schema:
            schema["nullable"] = True


def _extend_enum(raw: Raw, known: set[int], extra: list[int]) -> None:
    """Add ``extra`` to every enum that is exactly ``known`` (as numbers or as strings)."""
    for schema in every_schema(raw):
        enum = schema.get("enum")
        if not enum:
            continue
        if set(enum) == known:
            enum.extend(v for v in extra if v not in enum)
        elif set(enum) == {str(v) for v in known}:
            enum.extend(str(v) for v in extra if str(v) not in enum)


def _status_750(raw: Raw) -> None:
    _extend_enum(raw, {50, 100, 1000}, [750])


def _extra_tax_rules(raw: Raw) -> None:
    _extend_enum(raw, {1, 2, 3, 4, 5, 11}, [8, 9, 10, 12, 13, 14, 16, 17, 22])


DAY_MONTH_YEAR = r"^\d{2}\.\d{2}\.\d{4}$"


def _dates(raw: Raw) -> None:
    for schema in list(every_schema(raw)):
        if schema.get("type") == "string" and schema.get("format") in ("date-time", "date"):
            original = {
                k: v for k, v in schema.items() if k not in ("nullable", "description", "example")
            }
            for key in original:
                schema.pop(key)
            schema["anyOf"] = [
                original,
                {"type": "string", "pattern": DAY_MONTH_YEAR},
                {"type": "string", "pattern": r"^\d{1,12}$"},
                {"type": "integer"},
            ]


def _paging(raw: Raw) -> None:
    general = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
        },
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "countAll", "in": "query", "schema": {"type": "boolean"}},
        {"name": "embed", "in": "query", "schema": {"type": "string"}},
    ]
    for method, _, operation in operations(raw):
        if method == "GET":
            declared = {p.get("name") for p in operation.get("parameters") or ()}
            extra = [copy.deepcopy(p) for p in general if p["name"] not in declared]
            operation["parameters"] = [*(operation.get("parameters") or ()), *extra]


def _multipart_upload(raw: Raw) -> None:
    body = raw["paths"]["/Voucher/Factory/uploadTempFile"]["post"]["requestBody"]["content"]
    body["multipart/form-data"] = body.pop("form-data")


def _voucher_required(raw: Raw) -> None:
    dropped = {
        "saveVoucher": {"voucherPos"},
        "Model_Voucher": {"taxType"},
        "Model_VoucherPos": {"accountingType", "voucher", "sumNet", "sumGross"},
        "Model_VoucherPosResponse": {"accountingType"},
    }
    schemas = _named_schemas(raw)
    for name, fields in dropped.items():
        schema = schemas[name]
        schema["required"] = [f for f in schema.get("required") or () if f not in fields]
        if not schema["required"]:
            del schema["required"]


def _error_statuses(error: Raw, *, swagger2: bool) -> Callable[[Raw], None]:
    def patch(raw: Raw) -> None:
        for _, _, operation in operations(raw):
            if swagger2:
                operation["responses"].setdefault(
                    "default", {"description": "error", "schema": error}
                )
            else:
                operation["responses"].setdefault(
                    "default",
                    {"description": "error", "content": {"application/json": {"schema": error}}},
                )

    return patch


SEVDESK_ERRATA = (
    Erratum(
        "wrapped",
        "Every JSON answer is an object with 'objects'; the spec shows a bare object for "
        "saveVoucher, bookAmount, POST /Contact and others [RS write_voucher_save_create.json, "
        "write_voucher_book_amount.json, write_contact_create.json], [PATCH] (#28).",
        _sevdesk_wrap,
    ),
    Erratum(
        "string_scalars",
        "Ids, sums, status and booleans come back as strings ('156270656', '0.45', '1') where "
        "the spec says number/integer/boolean [RS fixtures]; requests may send amounts and ids "
        "as strings too, as the public Rust client does against the real API "
        "[RS tests/requests.rs].",
        _string_scalars,
    ),
    Erratum(
        "nulls",
        "Fields the spec does not mark nullable are null in real answers (lastSync, "
        "supplierNameAtSave, …) [RS check_account_list.json, write_voucher_save_create.json].",
        _nullable_everywhere,
    ),
    Erratum(
        "dates",
        "Dates are taken as dd.mm.yyyy, unix timestamps or ISO-8601 [SPEC Model_Voucher "
        "voucherDate: 'Needs to be provided as timestamp or dd.mm.yyyy'], [RS README]; the spec "
        "types them format date-time.",
        _dates,
    ),
    Erratum(
        "status_750",
        "Voucher status 750 (partly paid) exists; the spec's enum lists 50/100/1000 only "
        "[SPEC Voucher tag text], [NT PR #117].",
        _status_750,
    ),
    Erratum(
        "tax_rule_enum",
        "taxRule ids 8-10, 12-14, 16, 17 and 22 exist (the spec's prose tables and the real "
        "API); its enum lists 1-5 and 11 [SPEC sevdesk-Update 2.0], [RS receipt_guidance.json, "
        "write_voucher_save_create.json (taxRule 14)].",
        _extra_tax_rules,
    ),
    Erratum(
        "voucher_required",
        "Model_Voucher requires taxType, replaced by taxRule in Update 2.0; saveVoucher requires "
        "'voucherPos' where the operation and every client send 'voucherPosSave'; a position "
        "needs only the sum matching 'net' and no 'accountingType' (2.0) nor 'voucher' (filled "
        "by the server) [SPEC prose, Update 2.0], [RS tests/requests.rs].",
        _voucher_required,
    ),
    Erratum(
        "paging",
        "Every list takes limit (1..1000), offset, countAll and embed: the spec says so in its "
        "introduction ('Pagination', 'Embedding resources') but declares them on no operation "
        "[SPEC info], [PATCH adds them per GET].",
        _paging,
    ),
    Erratum(
        "multipart_upload",
        "uploadTempFile takes multipart/form-data with the part 'file'; the spec names the "
        "media type 'form-data', which is none [RS src/endpoints/voucher.rs], [NT uploadTempFile].",
        _multipart_upload,
    ),
    Erratum(
        "error_statuses",
        "Any failure is answered {'error': {message, code, responseCode, …}, 'objects': null} "
        "with statuses the spec does not list per operation, e.g. 404 code 151 for an unknown "
        "id where the spec says 400 [RS error_404_code_151.json, error_422_offline_account.json].",
        _error_statuses(SEVDESK_ERROR, swagger2=False),
    ),
)

# -- Billbee --------------------------------------------------------------------------------------

BILLBEE_ERROR = {
    "type": "object",
    "properties": {
        "ErrorMessage": {"type": "string", "x-nullable": True},
        "ErrorCode": {"type": "integer"},
        "Message": {"type": "string"},
    },
}


def _billbee_nullable(raw: Raw) -> None:
    for schema in every_schema(raw):
        if "$ref" not in schema:
            schema["x-nullable"] = True


LOCAL_OR_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$"


def _local_times(raw: Raw) -> None:
    for schema in every_schema(raw):
        if schema.get("format") == "date-time":
            del schema["format"]
            schema["pattern"] = (
                r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$"
            )


def _enum_lists(raw: Raw) -> None:
    entry = {
        "type": "object",
        "properties": {"Id": {"type": "integer"}, "Name": {"type": "string"}},
    }
    for template, ops in raw["paths"].items():
        if template.startswith("/api/v1/enums/"):
            ops["get"]["responses"]["200"]["schema"] = {"type": "array", "items": entry}


BILLBEE_ERRATA = (
    Erratum(
        "nulls",
        "Almost every field may be null; the swagger marks none nullable, the official PHP SDK "
        "types nearly every model field nullable and its fixtures carry nulls [PHP src/Model, "
        "tests/fixtures].",
        _billbee_nullable,
    ),
    Erratum(
        "local_times",
        "Date-times come with or without an offset (2022-07-22T09:54:25+00:00 and "
        "2022-07-22T09:54:25.310); the swagger's format date-time demands one [PHP fixtures "
        "order.json, invoice.json], [README §4]. The offset-less ones are read as UTC.",
        _local_times,
    ),
    Erratum(
        "enum_lists",
        "GET /enums/* answer a list of {Id, Name}; the swagger types them 'object' [CS "
        "EnumEntry parsing], [README §5.6] (shape unverified: the double's reading).",
        _enum_lists,
    ),
    Erratum(
        "error_statuses",
        "Business errors come with a non-2xx status and the envelope's ErrorCode (the .NET SDK "
        "reads ErrorCode from non-2xx answers); ASP.NET's own refusals (401, 404, 405) carry "
        "'Message'; the swagger documents 200 only for most operations [CS BillbeeRestClient], "
        "[README §4].",
        _error_statuses(BILLBEE_ERROR, swagger2=True),
    ),
)

ERRATA: dict[str, tuple[Erratum, ...]] = {"sevdesk": SEVDESK_ERRATA, "billbee": BILLBEE_ERRATA}


@cache
def official(system: str) -> Raw:
    path = SPEC_FILES[system]
    with path.open(encoding="utf-8") as handle:
        data: Raw = json.load(handle) if path.suffix == ".json" else yaml.safe_load(handle)
    return data


def patched(system: str, without: frozenset[str] = frozenset()) -> Raw:
    """The official spec with every erratum applied (but those named in ``without``)."""
    raw = copy.deepcopy(official(system))
    for erratum in ERRATA[system]:
        if erratum.name not in without:
            erratum.patch(raw)
    return raw
