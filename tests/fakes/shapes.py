"""Keys and JSON types of an answer, and where two answers differ in them.

A recorded answer says which keys a real response has and what kind of value each
holds; a double must answer with the same keys and kinds (values may differ). A
``null`` on either side matches any kind: the field is nullable, and one recording
cannot tell its type. Lists are compared by the union of their items' shapes.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeXML

#: A shape: ("object", {key: shape}), ("array", shape | None) or ("scalar", kinds).
Shape = tuple[str, Any]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


def shape(value: Any) -> Shape:
    if isinstance(value, dict):
        return ("object", {key: shape(item) for key, item in value.items()})
    if isinstance(value, list):
        merged: Shape | None = None
        for item in value:
            merged = shape(item) if merged is None else merge(merged, shape(item))
        return ("array", merged)
    return ("scalar", frozenset({_kind(value)}))


def _only_null(a: Shape) -> bool:
    return a[0] == "scalar" and a[1] == {"null"}


def merge(a: Shape, b: Shape) -> Shape:
    if _only_null(a):
        return b
    if _only_null(b):
        return a
    if a[0] != b[0]:
        return ("scalar", frozenset({f"<{a[0]}|{b[0]}>"}))
    if a[0] == "object":
        keys = {**a[1], **b[1]}
        return (
            "object",
            {k: merge(a[1][k], b[1][k]) if k in a[1] and k in b[1] else keys[k] for k in keys},
        )
    if a[0] == "array":
        if a[1] is None or b[1] is None:
            return ("array", a[1] or b[1])
        return ("array", merge(a[1], b[1]))
    return ("scalar", a[1] | b[1])


def differences(recorded: Shape, answered: Shape, where: str = "") -> list[str]:
    """What the answer lacks, adds or types differently, path by path."""
    if _only_null(recorded) or _only_null(answered):
        return []
    if recorded[0] != answered[0]:
        return [f"{where or '.'}: {answered[0]} where the recording has {recorded[0]}"]
    if recorded[0] == "object":
        found = [f"{where}.{k}: missing" for k in sorted(recorded[1].keys() - answered[1].keys())]
        found += [
            f"{where}.{k}: not recorded" for k in sorted(answered[1].keys() - recorded[1].keys())
        ]
        for key in sorted(recorded[1].keys() & answered[1].keys()):
            found += differences(recorded[1][key], answered[1][key], f"{where}.{key}")
        return found
    if recorded[0] == "array":
        if recorded[1] is None or answered[1] is None:
            return []
        return differences(recorded[1], answered[1], f"{where}[]")
    kinds, got = recorded[1] - {"null"}, answered[1] - {"null"}
    if kinds and got and not kinds & got:
        return [
            f"{where}: {'/'.join(sorted(got))} where the recording has {'/'.join(sorted(kinds))}"
        ]
    return []


def xml_shape(text: str | bytes) -> Shape:
    """An XML answer as a shape: elements are keys, repeated elements arrays, text a string."""
    return _element_shape(SafeXML.fromstring(text))


def _element_shape(element: ElementTree.Element) -> Shape:
    children = list(element)
    if not children:
        return ("scalar", frozenset({"string"}))
    grouped: dict[str, list[Shape]] = {}
    for child in children:
        grouped.setdefault(child.tag, []).append(_element_shape(child))
    fields: dict[str, Shape] = {}
    for tag, shapes in grouped.items():
        merged = shapes[0]
        for other in shapes[1:]:
            merged = merge(merged, other)
        fields[tag] = merged
    return ("object", fields)
