"""Names of neutral values as a merchant reads them: a voucher's kind, a line's category,
a payment method. Adapters (the Excel CSV export), pages and reasons share them, so
"Amazon_Marketplace" reads "Amazon Marketplace" and "credit_note" "Gutschrift" everywhere.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

__all__ = ["CATEGORY_LABELS", "KIND_LABELS", "PAYMENT_METHODS", "payment_method_label"]

KIND_LABELS: dict[str, Promise] = {
    "invoice": gettext_lazy("Invoice"),
    "credit_note": gettext_lazy("Credit note"),
}

CATEGORY_LABELS: dict[str, Promise] = {
    "goods": gettext_lazy("goods"),
    "shipping": gettext_lazy("shipping"),
    "discount": gettext_lazy("discount"),
    "fee": gettext_lazy("fee"),
}


#: Payment methods whose identifier is not a name a merchant reads as such.
PAYMENT_METHODS: dict[str, Promise] = {
    "Banküberweisung": gettext_lazy("Bank transfer"),
    "Nachnahme": gettext_lazy("Cash on delivery"),
    "Barzahlung": gettext_lazy("Cash"),
    "Gutschein": gettext_lazy("Voucher"),
    "Sofortüberweisung": gettext_lazy("Sofort bank transfer"),
    "MoneyOrder": gettext_lazy("Money order"),
    "Check": gettext_lazy("Cheque"),
    "Andere": gettext_lazy("Other"),
    "Lastschrift": gettext_lazy("Direct debit"),
    "Rechnung": gettext_lazy("Invoice (pay later)"),
    "Kreditkarte": gettext_lazy("Credit card"),
    "Vorkasse": gettext_lazy("Prepayment"),
    "Testbestellung": gettext_lazy("Test order"),
    "Kommissionsabrechnung": gettext_lazy("Commission statement"),
    "Ratenkauf": gettext_lazy("Instalments"),
    "KLARNA_Invoice": gettext_lazy("Klarna invoice"),
    "KLARNA_PartPayment": gettext_lazy("Klarna instalments"),
    "KLARNA": gettext_lazy("Klarna"),
    "AmazonPayments": gettext_lazy("Amazon Pay"),
    "Amazon_Payments_Advanced": gettext_lazy("Amazon Pay"),
    "EC": gettext_lazy("Debit card (EC)"),
}

_BILLBEE_TYPE = re.compile(r"^Billbee payment type (\d+)$")


def payment_method_label(method: str) -> str:
    """``Amazon_Marketplace`` → "Amazon Marketplace"; an unknown Billbee type by its number."""
    if not method:
        return _("no payment method")
    known = PAYMENT_METHODS.get(method)
    if known is not None:
        return str(known)
    unknown = _BILLBEE_TYPE.match(method)
    if unknown:
        return _("Billbee payment type %(number)s") % {"number": unknown.group(1)}
    if method == "Billbee payment type (none)":
        return _("no payment method")
    return method.replace("_", " ")
