"""``json.dumps(value)`` with its defaults, from one encoder made once.

``json.dumps`` builds a new encoder for every call (its arguments checked, a
``JSONEncoder`` method, a ``floatstr`` closure, the C encoder made), which is most
of what dumping a small dict costs: an import dumps two of them for every invoice
(the voucher's stored form and its meta, ``sync.ingest``). :func:`dumps` calls the
C encoder that ``json.dumps`` makes, made once with the same arguments, so the
text is the same for any value. It does not look for circular references (a value
built for storing has none; one that had would raise ``RecursionError``, where
``json.dumps`` raises ``ValueError``). ``tests/lib/test_json_text.py`` holds it
against ``json.dumps``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder
from typing import Any


def _made_once() -> Callable[[Any], str]:
    defaults = json.JSONEncoder()
    # the C encoder JSONEncoder.iterencode makes (the stubs do not name it)
    make: Any = getattr(encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - a Python without _json
        return json.dumps
    # what iterencode passes it, without the markers of the circular check (a dict
    # reused across calls would keep those of a call that raised)
    write = make(
        None,
        defaults.default,
        encoder.encode_basestring_ascii,
        defaults.indent,
        defaults.key_separator,
        defaults.item_separator,
        defaults.sort_keys,
        defaults.skipkeys,
        defaults.allow_nan,
    )

    def dumps(value: Any) -> str:
        return "".join(write(value, 0))

    return dumps


#: ``json.dumps(value)``: the same text (see the module doc).
dumps = _made_once()
