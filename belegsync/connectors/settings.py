"""The settings a connection's source and target share, by one name each.

A connection's ``settings`` hold both sides' fields. The choices of the
product pages that a source's set-up asks for but a target carries out (or the
other way round) live under these keys, so Billbee's three set-up steps and
sevDesk's settings form edit the same values. Settings only one adapter reads
carry its identifier as prefix (``afterbuy_api_url``, ``lexoffice_…``).
"""

from __future__ import annotations

#: Payment reconciliation "in the source: send as paid" (True) or "in the target:
#: send as open" (False); the engine calls ``Target.mark_paid`` only when True.
MARK_PAID = "mark_paid"
#: The choice behind MARK_PAID as the form shows it ("source" / the target's name).
PAYMENT_RECONCILIATION = "payment_reconciliation"
#: Create (or reuse) a customer contact in the target for every buyer.
CREATE_CUSTOMERS = "create_customers"
#: Payment method → the target's account id (sevDesk: a manual check account).
PAYMENT_ACCOUNTS = "payment_accounts"
#: Book payments whose method has no account on the default account.
BOOK_UNASSIGNED_AS_DEFAULT = "book_unassigned_as_default"
#: The account for those payments (empty: the target's own default).
DEFAULT_PAYMENT_ACCOUNT = "default_payment_account"
#: Which date is the voucher date: "invoice", "payment" or "order".
DOCUMENT_DATE = "document_date"
#: Send the source's PDF with the voucher (default True).
TRANSFER_PDF = "transfer_pdf"
#: No document before this date (ISO date) is transferred.
START_DATE = "start_date"
