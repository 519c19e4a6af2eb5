"""Check one recorded exchange against its system's spec (with the named errata).

A request is checked for what the spec can say about it: the operation exists,
every query parameter is one the operation declares, each value has the declared
type and enum, required parameters are there, and a JSON body matches the body
schema. An answer is checked with schemathesis' response validation: a documented
status must match its schema, any other one the system's error form (erratum
"error_statuses").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import requests
import schemathesis
from schemathesis.schemas import APIOperation

from belegsync.fakes.base import Exchange

from .specs import BASE_PATHS, patched

HOSTS = {"sevdesk": "https://my.sevdesk.de", "billbee": "https://api.billbee.io"}


@cache
def schema(system: str) -> Any:
    return schemathesis.openapi.from_dict(patched(system))


@cache
def _templates(system: str) -> list[tuple[re.Pattern[str], str, str]]:
    found = []
    base = BASE_PATHS[system]
    for template, methods in patched(system)["paths"].items():
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        for method in methods:
            if method != "parameters":
                found.append(
                    (
                        re.compile(f"^{re.escape(base)}{pattern}$", re.IGNORECASE),
                        template,
                        method.upper(),
                    )
                )
    # literal segments win over parameters (/orders/invoices before /orders/{id})
    found.sort(key=lambda entry: entry[1].count("{"))
    return found


def operation(system: str, method: str, path: str) -> APIOperation | None:
    for pattern, template, wanted in _templates(system):
        if wanted == method and pattern.match(path):
            return schema(system)[template][method]
    return None


def _kind(parameter: Any) -> tuple[str | None, str | None]:
    definition = parameter.definition
    declared = definition.get("schema") or definition
    items = declared.get("items") or {}
    return declared.get("type"), items.get("type")


def _typed(text: str, kind: str | None) -> Any:
    if kind == "integer" and re.fullmatch(r"-?\d+", text):
        return int(text)
    if kind == "number" and re.fullmatch(NUMBER, text):
        return float(text)
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


NUMBER = r"-?\d+(\.\d+)?"


def request_problems(system: str, exchange: Exchange) -> list[str]:
    where = f"{exchange.method} {exchange.path}"
    op = operation(system, exchange.method, exchange.path)
    if op is None:
        return [f"{where}: no such operation in the spec"]
    problems: list[str] = []
    query = parse_qsl(exchange.query, keep_blank_values=True)
    declared = {p.name: p for p in op.iter_parameters() if p.location.value == "query"}
    names = {name for name, _ in query}
    for name in sorted(names - declared.keys()):
        problems.append(f"{where}: query parameter {name!r} is not in the spec")
    for name, parameter in declared.items():
        values = [value for key, value in query if key == name]
        if not values:
            if parameter.definition.get("required"):
                problems.append(f"{where}: required query parameter {name!r} missing")
            continue
        kind, item_kind = _kind(parameter)
        value = (
            [_typed(v, item_kind) for v in values] if kind == "array" else _typed(values[-1], kind)
        )
        if not parameter.is_valid(value):
            problems.append(f"{where}: {name}={values!r} does not match the spec")
    problems += _body_problems(op, exchange, where)
    return problems


def _body_problems(op: APIOperation, exchange: Exchange, where: str) -> list[str]:
    content_type = exchange.request_content_type.split(";")[0].strip()
    if content_type != "application/json":
        return []
    try:
        body = json.loads(exchange.request_body or b"null")
    except ValueError:
        return [f"{where}: the body is not JSON"]
    bodies = [b for b in op.body if b.media_type == "application/json"]
    if not bodies:
        return [f"{where}: the spec takes no JSON body here"]
    if bodies[0].is_valid(body):
        return []
    return [f"{where}: {line}" for line in explain(bodies[0].validation_schema, body, "body")]


def explain(schema: Any, value: Any, name: str) -> list[str]:
    """The innermost reasons a value fails a schema, for a reader (at most six)."""
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
    leaves = [
        leaf
        for error in validator.iter_errors(value)
        for leaf in _leaves(error)
        if not (leaf.validator == "type" and leaf.validator_value == "null")  # nullable's branch
    ]
    said = sorted({f"{name}{_path(leaf)}: {leaf.message[:160]}" for leaf in leaves})
    return said[:6] or [f"{name} does not match"]


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    if not error.context:
        yield error
    for sub in error.context or ():
        yield from _leaves(sub)


def _path(error: jsonschema.ValidationError) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def response_problems(system: str, exchange: Exchange) -> list[str]:
    where = f"{exchange.method} {exchange.path} → {exchange.status}"
    op = operation(system, exchange.method, exchange.path)
    if op is None:
        return []  # the request is already reported; an unknown path's answer is not spec'd
    url = f"{HOSTS[system]}{exchange.path}" + (f"?{exchange.query}" if exchange.query else "")
    prepared = requests.Request(exchange.method, url).prepare()
    headers = {key: [value] for key, value in exchange.response_headers.items()}
    response = schemathesis.Response(
        exchange.status, headers, exchange.response_body, prepared, 0.0, True
    )
    try:
        op.validate_response(response)
    except Exception as failure:  # schemathesis raises one error (group) per violation
        documented = op.responses.find_by_status_code(exchange.status)
        try:
            body = json.loads(exchange.response_body)
        except ValueError:
            documented = None
        try:
            schema = documented.get_schema().schema if documented else None
            reasons = explain(schema, body, "body") if schema is not None else None
        except Exception:  # a schema python-jsonschema cannot load: schemathesis' own words
            reasons = None
        return [f"{where}: {line}" for line in reasons or [_first_line(failure)]]
    return []


def _first_line(failure: BaseException) -> str:
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    return " | ".join(lines[:6])
