"""The JSON text of a value to store (a voucher's stored form, a document's meta, an
event's detail), written by orjson.

An import dumps two dicts for every invoice; the C encoder of the json module took 8 µs
an invoice for them (a quarter of the reading process's instructions), orjson 2.7 µs.
The text holds the same JSON as ``json.dumps`` writes (``json.loads`` reads back the
same value), written compact and in UTF-8: no space after a separator, a character
outside ASCII as it is. Both databases read it as the same value: PostgreSQL's jsonb
keeps no text, SQLite's JSON functions read either.

What orjson refuses and ``json.dumps`` takes (a key that is not text, an integer past
64 bits, a lone surrogate from a source's JSON) is written by ``json.dumps``; what both
refuse (a ``Decimal``, a date, a set) raises ``TypeError``. A NaN or an infinity, which
no JSON holds (PostgreSQL refuses ``json.dumps``'s ``NaN``), is written as null.
``tests/lib/test_json_text.py`` holds it against ``json.dumps``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

#: Dates and dataclasses are refused as ``json.dumps`` refuses them (orjson would write
#: them): a value built for storing has its dates as text already.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """``value`` as JSON text (see the module doc)."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value)
