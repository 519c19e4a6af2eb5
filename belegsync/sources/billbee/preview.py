"""Read a file of Billbee orders for ``belegsync preview --source billbee-json``.

The file holds orders as Billbee's API returns them: the list envelope
(``{"Paging": …, "Data": [orders]}``), a single-order envelope, or a bare JSON
array of orders. Each order yields ``(document number, voucher)`` or
``(document number, [error messages])``; the document number is the invoice
number, or the order number while there is no invoice. A cancellation finds its
original in the same file (by ``BillBeeParentOrderId``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from belegsync.bookkeeping import Voucher, validate
from belegsync.connectors.errors import UnreadableFile

from .mapping import NotBookable, document_number, map_order


def load_orders(path: str | Path) -> list[dict[str, Any]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(code="file.not_utf8", raw=str(exc.reason)) from exc
    try:
        body = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            code="file.not_json", raw=exc.msg, line=exc.lineno, from_line=exc.lineno
        ) from exc
    if isinstance(body, dict) and "Data" in body:
        body = body["Data"]
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        raise UnreadableFile(code="billbee.not_orders")
    return body


def read_for_preview(
    path: str | Path,
) -> Iterator[tuple[str, Voucher | list[str]]]:
    orders = load_orders(path)
    by_id = {
        o.get("BillBeeOrderId"): o for o in orders if isinstance(o, dict) and "BillBeeOrderId" in o
    }
    for index, order in enumerate(orders):
        if not isinstance(order, dict) or "BillBeeOrderId" not in order:
            yield f"#{index + 1}", [f"Entry {index + 1} is not a Billbee order."]
            continue
        number = document_number(order)
        try:
            voucher = map_order(order, original=by_id.get(order.get("BillBeeParentOrderId")))
        except (NotBookable, ValueError, TypeError) as error:
            yield number, [str(error)]
            continue
        problems = validate(voucher)
        if problems:
            yield number, [str(p) for p in problems]
        else:
            yield number, voucher


def preview_file(
    path: str | Path, settings: Mapping[str, Any]
) -> Iterator[tuple[str, Voucher | list[str]]]:
    """``belegsync preview --source billbee-json`` (the target applies the date choice)."""
    return read_for_preview(path)
