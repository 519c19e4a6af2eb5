"""Every reason code with its text: what happened and what to do, in the merchant's words.

The English text is the msgid, the German one is in ``belegsync/locale``.
Texts name fields as the merchant knows them ("gross total", never
``total_gross``) and take their parameters by name (``%(amount)s``); how a
parameter is shown (money, rate, date …) follows from its name, the same in
every text (:data:`PARAM_KINDS`). ``%(field)s`` and ``%(line)s`` are filled
from the reason's field (``lines[2].gross`` → "line 3: gross", 3).

A test renders every code in German and English and fails on a placeholder
without a kind, a code without a German text, or English left in German.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from belegsync.documents.labels import CATEGORY_LABELS, KIND_LABELS

__all__ = ["CATEGORY_LABELS", "KIND_LABELS", "PARAM_KINDS", "TEXTS"]

# --- how parameters are shown, by name ---------------------------------------------

MONEY = "money"
RATE = "rate"
RATES = "rates"
DATE = "date"
DATETIME = "datetime"
NUMBER = "number"
TEXT = "text"
TREATMENT = "treatment"
CATEGORY = "category"
PAYMENT_METHOD = "payment_method"
PAYMENT_METHODS = "payment_methods"
ORDER_STATE = "order_state"
ORDER_STATES = "order_states"
KIND = "kind"
STATE = "state"
STATES = "states"
TEXTS_LIST = "texts"
QUOTED = "quoted"

#: One meaning per parameter name, across all codes.
PARAM_KINDS: dict[str, str] = {
    # money, in the document's currency (or the reason's own ``currency``)
    "amount": MONEY,
    "expected": MONEY,
    "total": MONEY,
    "lines_total": MONEY,
    "net": MONEY,
    "gross": MONEY,
    "tax": MONEY,
    "paid": MONEY,
    "open_amount": MONEY,
    "limit_amount": MONEY,
    # tax rates
    "rate": RATE,
    "rates": RATES,
    # dates and moments
    "date": DATE,
    "start_date": DATE,
    "order_date": DATE,
    "invoice_date": DATE,
    "latest_date": DATE,
    "at": DATETIME,
    "retry_at": DATETIME,
    "since": DATETIME,
    # numbers
    "quantity": NUMBER,
    "exchange_rate": NUMBER,
    "position": NUMBER,
    "attempts": NUMBER,
    "count": NUMBER,
    "status": TEXT,
    "days": NUMBER,
    "size_mb": NUMBER,
    "limit_mb": NUMBER,
    "seconds": NUMBER,
    # words from a list of our own
    "treatment": TREATMENT,
    "category": CATEGORY,
    "method": PAYMENT_METHOD,
    "methods": PAYMENT_METHODS,
    "order_state": ORDER_STATE,
    "order_states": ORDER_STATES,
    "kind": KIND,
    "state": STATE,
    "states": STATES,
    # shown as given: numbers of documents, names, remote ids, what a remote said
    "number": TEXT,
    "refers_to": TEXT,
    "country": TEXT,
    "vat_country": TEXT,
    "currency": TEXT,
    "system": TEXT,
    "side": TEXT,
    "setting": TEXT,
    "step": TEXT,
    "shop": TEXT,
    "name": TEXT,
    "remote_id": TEXT,
    "remote_message": TEXT,
    "error": TEXT,
    "filename": TEXT,
    "worker": TEXT,
    "value": TEXT,
    "account": TEXT,
    "tag": TEXT,
    "text": TEXT,
    "field": TEXT,
    "line": TEXT,
    "messages": TEXTS_LIST,
    "source_ids": TEXTS_LIST,
    # files (FILES): line numbers as in the file, headers as the file spells them
    "first_line": TEXT,
    "from_line": TEXT,
    "after_line": TEXT,
    "fields": NUMBER,
    "header_fields": NUMBER,
    "encoding": TEXT,
    "column": TEXT,
    "columns": QUOTED,
    # targets (TARGETS): what a remote named, as it named it
    "remote_field": TEXT,
    "key": TEXT,
    "version": TEXT,
    # exports (EXPORTS)
    "customer_number": TEXT,
    "low": TEXT,
    "high": TEXT,
    "length": NUMBER,
    "limit": NUMBER,
    "belegfeld": TEXT,
    "other": TEXT,
}

# --- the codes -----------------------------------------------------------------

#: The voucher's own data does not add up (bookkeeping.validation).
VOUCHER_DATA: dict[str, Promise] = {
    "missing_number": _(
        "The document has no invoice number. Give the invoice a number in your shop "
        "system; belegsync checks it again when it reads it next."
    ),
    "bad_currency": _(
        "“%(currency)s” is not a currency belegsync knows (expected a code like EUR). "
        "Correct the currency of the invoice in your shop system."
    ),
    "bad_exchange_rate": _(
        "The exchange rate %(exchange_rate)s is not a rate of %(currency)s per euro (it must "
        "be above zero, and a euro invoice has none). Correct the exchange rate in your shop "
        "system."
    ),
    "bad_country": _(
        "“%(country)s” is not a country code (expected two letters like DE, AT, FR). "
        "Correct the buyer's country in your shop system."
    ),
    "no_lines": _(
        "The document has no line items. Check the invoice in your shop system; an "
        "invoice without items cannot be booked."
    ),
    "credit_note_without_invoice": _(
        "The credit note does not say which invoice it corrects. Link it to its invoice "
        "in your shop system."
    ),
    # lexoffice mapping refusals ([vat-truth]: rules of the tax per rate)
    "lexoffice.negative_rate_total": _(
        "After its discounts the total at %(rate)s is negative (%(amount)s): the "
        "discounts at that rate are larger than what the document sells at it, and "
        "lexoffice books no negative amount at a tax rate. Check the discount's tax rate "
        "in your shop system, or issue the refund as a credit note."
    ),
    # before absorb_negative (kept for documents failed with it): a single position
    "lexoffice.negative_position": _(
        "After its discounts the amount at %(rate)s is negative (%(amount)s); lexoffice "
        "books only positive positions. Issue the refund as a credit note in your shop "
        "system."
    ),
    "lexoffice.distance_sale_needs_destination": _(
        "This is an EU distance sale to %(country)s at that country's rate (%(rates)s). "
        "lexoffice accepts foreign rates only with the destination principle: set "
        "'Fernverkäufe: Bestimmungslandprinzip' in lexoffice's settings, then reset the "
        "document."
    ),
    # a warning (bookkeeping.warnings), not a failure: the credit note is booked
    "credit_note_no_invoice_named": _(
        "No original invoice named: the credit note is booked without a reference to the "
        "invoice it corrects. If there is one, add its number in your shop system."
    ),
    "negative_total": _(
        "The gross total %(amount)s is negative. A negative amount must be issued as a "
        "credit note: create one in your shop system instead."
    ),
    "sub_cent": _(
        "%(field)s: %(amount)s has more than two decimal places. Correct the amount in "
        "your shop system to whole cents."
    ),
    "zero_quantity": _(
        "%(field)s is zero. Remove the line or correct its quantity in your shop system."
    ),
    "negative_quantity": _(
        "%(field)s is %(quantity)s, negative. Only a discount may be negative; goods that "
        "came back belong on a credit note."
    ),
    "wrong_sign": _(
        "%(field)s is %(amount)s, but a line of the kind “%(category)s” must have the "
        "other sign. Correct the line in your shop system."
    ),
    "rate_not_allowed": _(
        "%(field)s: %(rate)s is not a valid tax rate for %(treatment)s to %(country)s. "
        "Correct the tax rate of the line in your shop system."
    ),
    "line_tax_mismatch": _(
        "%(field)s %(gross)s does not match the net amount %(net)s at %(rate)s (expected "
        "%(expected)s). Correct the line in your shop system."
    ),
    "total_mismatch": _(
        "%(field)s %(total)s is not the sum of the line items (%(lines_total)s). Correct "
        "the invoice in your shop system."
    ),
    "tax_group_mismatch": _(
        "The tax at %(rate)s is %(tax)s, but %(expected)s on the net amount %(net)s. "
        "Correct the tax of the invoice in your shop system."
    ),
}

#: What the engine says about a transfer (sync.transfer, sync.ingest).
ENGINE: dict[str, Promise] = {
    "internal_error": _(
        "belegsync hit an internal error (%(error)s). This is not your fault: support "
        "has the details. Reset the document to try again."
    ),
    "unavailable_retrying": _(
        "%(system)s could not be reached after %(attempts)s attempts. belegsync tries "
        "again at %(retry_at)s on its own; nothing to do for now."
    ),
    "checked_before_sending": _(
        "Checked before sending and not sent: nothing was created in the bookkeeping."
    ),
}

#: Why a source document is kept out, or cannot be read yet (the sources).
SOURCES: dict[str, Promise] = {
    "skip.before_start_date": _(
        "Ordered on %(order_date)s, before the start date %(start_date)s of this connection. "
        "If it belongs in the bookkeeping, set an earlier start date in the connection's "
        "settings."
    ),
    "skip.dated_before_start_date": _(
        "Dated %(invoice_date)s, before the start date %(start_date)s of this connection. "
        "If it belongs in the bookkeeping, set an earlier start date in the connection's "
        "settings."
    ),
    "skip.shop_not_selected": _(
        "The shop “%(shop)s” is not selected in the connection's settings. Select it there "
        "if its orders belong in the bookkeeping."
    ),
    "skip.kind_not_selected": _(
        "Documents of the kind “%(kind)s” are not selected in the connection's settings. "
        "Select them there if they belong in the bookkeeping."
    ),
    "skip.payment_not_mapped": _(
        "The payment method %(methods)s has no account yet. Assign one in the connection's "
        "settings (step 3: accounts), or choose there to book unassigned payments as "
        "standard payment."
    ),
    "billbee.state_not_selected": _(
        "The order is in the state “%(order_state)s”; only orders in %(order_states)s are "
        "transferred. It follows on its own once it reaches one of them, or select more "
        "states in the connection's settings."
    ),
    "billbee.state_not_reached": _(
        "The order has not been in a selected state yet (now: “%(order_state)s”; selected: "
        "%(order_states)s). It follows on its own once it reaches one of them."
    ),
    "billbee.no_invoice_yet": _(
        "Billbee has not issued an invoice for order %(number)s yet. It is transferred on its "
        "own once the invoice exists."
    ),
    "billbee.no_invoice_date": _(
        "Order %(number)s has the invoice %(refers_to)s but no invoice date in Billbee. Open "
        "the order in Billbee and check the invoice."
    ),
    "billbee.margin_scheme": _(
        "Order %(number)s is taxed under the margin scheme (Differenzbesteuerung), which "
        "belegsync does not transfer. Book it by hand and mark it as manually imported."
    ),
    "billbee.not_a_number": _(
        "Billbee sent “%(value)s” where an amount belongs. Check the prices of the order in "
        "Billbee."
    ),
    "afterbuy.invoiced_elsewhere": _(
        "The invoice was issued outside Afterbuy (for example by Amazon). It is booked from "
        "there, not from Afterbuy."
    ),
    "afterbuy.not_a_number": _(
        "In Afterbuy order %(number)s, “%(value)s” stands where an amount belongs. Correct the "
        "order in Afterbuy."
    ),
    "afterbuy.not_a_date": _(
        "In Afterbuy order %(number)s, “%(value)s” stands where a date belongs. Correct the "
        "order in Afterbuy."
    ),
    "afterbuy.no_invoice_date": _(
        "Afterbuy order %(number)s has no invoice date yet. It is transferred on its own once "
        "the invoice is issued."
    ),
    "afterbuy.login_missing": _(
        "The Afterbuy login (user name and password) for downloading the invoice PDFs is "
        "missing. Enter it in the connection's settings."
    ),
    "afterbuy.login_refused": _(
        "Afterbuy did not accept the login of the user “%(name)s” for downloading the invoice "
        "PDFs. Check the Afterbuy user name and password in the connection's settings; until "
        "then the connection is paused and no document is lost."
    ),
    "datev.numbers_missing": _(
        "The DATEV connection needs the consultant number (Beraternummer) and the client "
        "number (Mandantennummer) from your tax advisor. Enter them in the connection's "
        "settings; until then no file is written and no document is lost."
    ),
    "datev.not_expressible": _(
        "The DATEV file cannot carry this voucher as it is (%(error)s). Correct the DATEV "
        "settings of the connection, then reset the document: it goes into a correction "
        "file of its month."
    ),
    "connection.failing": _(
        "The last %(count)s syncs failed (since %(since)s), so belegsync paused the "
        "connection instead of trying every hour. When the cause below is fixed, choose "
        "“Check again”; no document is lost."
    ),
    "connection.incomplete": _(
        "The connection is not set up completely. Open its settings and fill in what is "
        "missing; then it runs again on its own."
    ),
}

#: What a remote system answered (connectors.http, the clients).
REMOTE: dict[str, Promise] = {
    "remote.unreachable": _(
        "%(system)s cannot be reached right now. belegsync tries again on its own; if it "
        "lasts for hours, check whether %(system)s reports an outage."
    ),
    "remote.timeout": _(
        "%(system)s did not answer in time. belegsync tries again on its own and first asks "
        "%(system)s whether the document arrived, so nothing is booked twice."
    ),
    "remote.connection_broken": _(
        "The connection to %(system)s broke off. belegsync tries again on its own and first "
        "asks %(system)s whether the document arrived, so nothing is booked twice."
    ),
    "remote.rate_limited": _(
        "%(system)s asked belegsync to send less often. belegsync waits and tries again on "
        "its own; nothing to do for you."
    ),
    "remote.server_error": _(
        "%(system)s answered with an error on its side (%(status)s). belegsync tries again "
        "on its own; nothing to do for you."
    ),
    "remote.auth": _(
        "%(system)s did not accept the credentials. Enter them again in the connection's "
        "settings; until then the connection is paused and no document is lost."
    ),
    "remote.permission": _(
        "%(system)s refused access: the credentials lack a permission this connection needs. "
        "Check the rights of the API key or user in %(system)s."
    ),
    "remote.not_found": _(
        "%(system)s does not know what belegsync asked for. If you deleted it there, reset "
        "the document to transfer it again."
    ),
    "remote.rejected": _(
        "%(system)s refused the document and said: “%(remote_message)s”. Correct what "
        "%(system)s names, then reset the document."
    ),
    "remote.bad_answer": _(
        "%(system)s sent an answer belegsync cannot read. Reset the document to try again; "
        "if it happens again, support has the details."
    ),
    "remote.too_slow": _(
        "%(system)s took longer than %(seconds)s seconds to answer, so belegsync stopped "
        "waiting. It tries again with the next sync on its own; nothing to do for you."
    ),
    "remote.too_large": _(
        "%(system)s sent an answer larger than the %(limit_mb)s MB belegsync reads. It was "
        "cut off and nothing of it was used; if it happens again, support has the details."
    ),
    "remote.address_refused": _(
        "belegsync sends nothing for %(system)s to this address: only to %(system)s itself or "
        "to an address whoever runs belegsync allowed. Ask them to check the setting "
        "BELEGSYNC_ALLOWED_REMOTES."
    ),
}

#: An error that has no code of its own: what its family says (connectors.errors).
CATEGORIES: dict[str, Promise] = {
    "category.validation": _(
        "The document's data does not add up. Correct it in your shop system; belegsync "
        "checks it again when it reads it next."
    ),
    "category.rejected": _(
        "The bookkeeping system refused the document. The technical details say why; "
        "correct that, then reset the document."
    ),
    "category.auth": _(
        "The credentials were refused. Enter them again in the connection's settings; until "
        "then the connection is paused and no document is lost."
    ),
    "category.permission": _(
        "The credentials lack a permission this connection needs. Check the rights of the "
        "API key or user."
    ),
    "category.config": _(
        "A setting of the connection is missing or wrong. Check the connection's settings, "
        "then reset the document."
    ),
    "category.unavailable": _(
        "The remote system could not be reached. belegsync tries again on its own."
    ),
    "category.conflict": _(
        "The copy in the bookkeeping system changed meanwhile or still exists. Check it "
        "there, then reset the document."
    ),
    "category.internal": _(
        "belegsync hit an internal error. This is not your fault: support has the details. "
        "Reset the document to try again."
    ),
}

#: History entries (Event): what happened to a document, in order.
HISTORY: dict[str, Promise] = {
    "history.import": _("Imported"),
    "history.import_failed": _("Imported; the data does not add up"),
    "history.import_skipped": _("Imported and skipped"),
    "history.claim": _("Taken up for transfer"),
    "history.takeover": _("Taken over after the previous attempt stopped"),
    "history.created": _("Created in %(system)s: %(remote_id)s"),
    "history.adopted": _("Found already in %(system)s and adopted: %(remote_id)s"),
    "history.pdf_attached": _("PDF attached"),
    "history.no_pdf": _("No PDF to attach"),
    "history.marked_paid": _("Marked as paid"),
    "history.left_open": _("Left open (not marked as paid)"),
    "history.marked_transferred": _("Marked as transferred in %(system)s"),
    "history.transferred": _("Transferred: %(remote_id)s"),
    "history.transferred_plain": _("Transferred"),
    "history.failed": _("Failed"),
    "history.retry_later": _("Not reachable right now; next attempt at %(retry_at)s"),
    "history.released": _("Returned to the queue"),
    "history.paused": _("Connection paused: the credentials were refused"),
    "history.skipped": _("Skipped"),
    "history.unskipped": _("Eligible again"),
    "history.rechecked": _("Data corrected, waiting again"),
    "history.reset": _("Reset: waiting again"),
    "history.marked_manual": _("Marked as manually imported"),
    "history.reuploaded": _("Re-uploaded with the newest data"),
    "history.reuploaded_same": _("Re-uploaded"),
    "history.newer_data": _(
        "The source has newer data for this document; re-upload it to send it."
    ),
    "history.number_conflict": _("Another document of the shop system has the same number"),
    "history.number_conflict_kept": _(
        "Chosen which document of the shop system is sent under this number"
    ),
    "history.other": _("Changed"),
}

#: A tax-free sale without its evidence, a rate not valid on the date … (bookkeeping).
EVIDENCE: dict[str, Promise] = {
    "invoice_date_in_future": _(
        "The invoice is dated %(invoice_date)s, more than %(days)s days ahead (the latest "
        "date accepted today is %(latest_date)s): check the invoice date. A wrong year books "
        "the invoice into the wrong VAT period. Correct the date in your shop system; if the "
        "date is right, reset the document once that day has come."
    ),
    "rate_not_valid_on_date": _(
        "%(field)s: %(rate)s was not a valid tax rate for %(treatment)s to %(country)s on "
        "%(date)s, the day of the supply. Valid on that day: %(rates)s. Correct the tax rate "
        "of the line in your shop system, or the delivery date if the goods were delivered "
        "on another day."
    ),
    "vat_id_missing": _(
        "The invoice charges no VAT, but the buyer in %(country)s has no VAT ID. Without a "
        "valid VAT ID of the buyer's country the sale is taxable, not a tax-free "
        "intra-community supply: add the buyer's VAT ID in your shop system, or correct the "
        "tax of the invoice."
    ),
    "vat_id_invalid": _(
        "The invoice charges no VAT, but “%(value)s” is not a valid VAT ID of %(country)s "
        "(its format or check digit is wrong). Without a valid VAT ID the sale is taxable: "
        "correct the buyer's VAT ID in your shop system, or correct the tax of the invoice."
    ),
    "vat_id_other_country": _(
        "The invoice charges no VAT, but the VAT ID %(value)s is one of %(vat_country)s, not "
        "of the buyer's country %(country)s. A tax-free intra-community supply needs the VAT "
        "ID of the buyer's country: correct it in your shop system, or correct the tax of "
        "the invoice."
    ),
}

#: What a target's check before sending would refuse (``Target.check``, issue #13).
CHECKS: dict[str, Promise] = {
    "lexoffice.small_business_only_there": _(
        "Your lexoffice account is set up as a small business (Kleinunternehmer, § 19 UStG), "
        "but this connection is not, so %(number)s would be booked with VAT. Switch on "
        "“small business” in the connection's settings if you are one, or correct the tax "
        "settings in lexoffice; then reset the document."
    ),
    "lexoffice.not_a_small_business_there": _(
        "%(number)s is booked as a small business (Kleinunternehmer, § 19 UStG), but your "
        "lexoffice account is not set up as one. Correct the tax settings in lexoffice, or "
        "switch off “small business” in the connection's settings; then reset the document."
    ),
    "number_conflict_skipped": _(
        "Skipped by your choice: the shop system's documents %(source_ids)s have the invoice "
        "number %(number)s too and are not sent under it. To book one of them, give it its "
        "own invoice number in your shop system."
    ),
    "number_conflict": _(
        "Two documents of your shop system have the invoice number %(number)s with different "
        "contents (order IDs %(source_ids)s). The bookkeeping knows a voucher by its number, "
        "so belegsync sends neither: give one of them another invoice number in your shop "
        "system; belegsync then transfers both on its own. Or choose on the document's page "
        "which one to send (“Keep this one”)."
    ),
    "currency_not_eur": _(
        "The invoice is in %(currency)s, but %(system)s books only euros and your shop "
        "system sent no exchange rate; belegsync never books a foreign amount as euros. Book "
        "this invoice by hand in %(system)s and mark it as manually imported."
    ),
    "lexoffice.mark_paid_no_reference": _(
        "%(number)s is to be sent as paid, but lexoffice cannot set a voucher to paid, and the "
        "payment has no transaction ID belegsync could give lexoffice's payment matching. "
        "Turn off “mark as paid” in the connection's settings (lexoffice then assigns the "
        "payment from your bank account), then reset the document."
    ),
    "lexoffice.mark_paid_not_permitted": _(
        "%(number)s is to be sent as paid, but lexoffice takes payment hints only from partner "
        "apps, not from this API key. Turn off “mark as paid” in the connection's settings "
        "(lexoffice then assigns the payment from your bank account), then reset the document."
    ),
    "sevdesk.payment_not_mapped": _(
        "The payment method %(method)s has no sevDesk account. Assign one in the connection's "
        "account settings, or choose there to book unassigned payments as standard payment; "
        "then reset the document."
    ),
    "sevdesk.payment_account_gone": _(
        "The sevDesk account %(account)s for the payment method %(method)s no longer exists "
        "or is archived. Choose another account in the connection's settings, then reset the "
        "document."
    ),
    "sevdesk.payment_account_not_manual": _(
        "The sevDesk account “%(account)s” for the payment method %(method)s is a bank "
        "account; belegsync can book payments only on manual accounts. Create a manual "
        "account in sevDesk (for example “PayPal”), choose it in the connection's settings, "
        "then reset the document."
    ),
}
#: A file that cannot be read, or a row of it (sources/afterbuy/csv.py, sync/imports.py):
#: each shown after where it is (:data:`FILE_PLACES`), so it says only what and what to do.
FILES: dict[str, Promise] = {
    "csv.formula": _(
        "The value looks like a spreadsheet formula and is not taken over, for safety. "
        "Correct it in Afterbuy and export the invoice list again."
    ),
    "csv.amount_missing": _(
        "The amount is missing. Fill it in (for example 0,00) and upload the file again."
    ),
    "csv.not_a_number": _(
        "This is not an amount in German format (expected for example 1.234,56 or -12,00). "
        "Correct the cell and upload the file again."
    ),
    "csv.date_missing": _(
        "The date is missing (expected DD.MM.YYYY, for example 29.11.2024). Fill it in and "
        "upload the file again."
    ),
    "csv.not_a_date": _(
        "This is not a valid date (expected DD.MM.YYYY, for example 29.11.2024). Correct the "
        "cell and upload the file again."
    ),
    "csv.unknown_country": _(
        "The country is not recognised (expected a country code like DE, AT or CH). Correct "
        "the buyer's country in Afterbuy and export the invoice list again."
    ),
    "csv.totals_differ": _(
        "The rows of invoice %(number)s state different gross totals. Every row of one "
        "invoice must state the same total: export the invoice list again."
    ),
    "csv.repeated_differently": _(
        "Invoice %(number)s appears more than once with different values (first on line "
        "%(first_line)s). Without item columns the file holds one row per invoice: remove "
        "the extra row or export the invoice list again."
    ),
    "csv.number_repeated": _(
        "Invoice %(number)s already appears on line %(first_line)s. The rows of one invoice "
        "must follow each other: remove the duplicate row."
    ),
    "csv.number_missing": _(
        "The invoice number is missing; every row needs one. Correct the row or export the "
        "invoice list again."
    ),
    "csv.wrong_width": _(
        "The row has %(fields)s fields, the header line %(header_fields)s. The file may be cut "
        "off, or a separator inside a field is not quoted: export the invoice list again."
    ),
    "csv.empty": _("The file is empty. Export the invoice list from Afterbuy again and upload it."),
    "csv.unknown_encoding": _(
        "The file is not a readable CSV text file (unknown character encoding, or binary "
        "data). Export the invoice list from Afterbuy as CSV with the encoding “UTF-8”."
    ),
    "csv.no_header": _(
        "The first line holds no column headers. Export the complete invoice list from "
        "Afterbuy again."
    ),
    "csv.missing_columns": _(
        "The file lacks required columns: %(columns)s. Nothing was imported. Assign the "
        "columns, or export the complete invoice list from Afterbuy."
    ),
    "csv.malformed": _(
        "The file cannot be read from line %(from_line)s on: it is probably cut off, or a "
        "quote is not closed. Nothing was imported; export the invoice list again."
    ),
    "csv.encoding_changed": _(
        "The file is not %(encoding)s throughout (an error after line %(after_line)s). "
        "Nothing was imported; export the invoice list again with the encoding “UTF-8”."
    ),
    "import.source_not_ready": _(
        "The connection's source is not set up, so the file cannot be read. Complete the "
        "connection's settings and upload the file again."
    ),
    "worker_lost": _(
        "The import stopped %(attempts)s times before it was finished (the worker "
        "ended, the disk was full or the database could not be reached). What was "
        "stored is kept and nothing is stored twice: press “Try again”."
    ),
    "import.not_a_file_source": _(
        "This connection's source (%(system)s) takes no uploaded files. Upload the file to a "
        "connection that reads files."
    ),
    "file.not_utf8": _("The file is not UTF-8 text. Save it as UTF-8 and try again."),
    "file.not_json": _(
        "The file is not JSON (an error on line %(from_line)s). Export the orders again."
    ),
    "billbee.not_orders": _(
        "The file holds no Billbee orders (expected an object with “Data”, or a JSON list). "
        "Export the orders from Billbee again."
    ),
}

#: Where in a file a problem is, put before its text.
FILE_PLACES: dict[str, Promise] = {
    "line": _("Line %(line)s: %(text)s"),
    "column": _("Line %(line)s, column “%(column)s”: %(text)s"),
    "value": _("Line %(line)s, column “%(column)s”, value “%(value)s”: %(text)s"),
}
QUOTE = _("“%(text)s”")

#: What lexoffice and sevDesk refuse, by their documented errors (targets/*/client.py and
#: the targets; their reference's §4 and §1.1): what it means and what to do.
TARGETS: dict[str, Promise] = {
    "lexoffice.gross_total_mismatch": _(
        "lexoffice refused the voucher: its gross total does not match the sum of its "
        "positions. Check the amounts of the invoice in your shop system (a difference of a "
        "cent is enough), then reset the document."
    ),
    "lexoffice.tax_total_mismatch": _(
        "lexoffice refused the voucher: its tax total does not match the tax of its positions. "
        "Check the tax amounts of the invoice in your shop system (a difference of a cent is "
        "enough), then reset the document."
    ),
    "lexoffice.item_tax_mismatch": _(
        "lexoffice refused the tax of a position: it does not match the position's amount at "
        "its tax rate. Check the tax amounts of the invoice in your shop system, then reset "
        "the document."
    ),
    "lexoffice.rate_not_allowed": _(
        "lexoffice refused a tax rate: its vouchers take only 0, 5, 7, 16 and 19 %%, and a "
        "foreign EU rate only for a distance sale booked at the destination. Check the "
        "distance-sales setting of the connection and in lexoffice, then reset the document."
    ),
    "lexoffice.category_not_usable": _(
        "lexoffice refused the posting category of a position: it is unknown, or not usable "
        "for this sale. Check the posting categories in the connection's settings, then reset "
        "the document."
    ),
    "lexoffice.contact_not_usable": _(
        "lexoffice refused the voucher's contact: it is missing or no customer. Give the contact "
        "the role “customer” in lexoffice, or switch off “a customer per buyer” in the "
        "connection's settings, then reset the document."
    ),
    "lexoffice.contact_not_customer": _(
        "lexoffice refused the contact: it is neither a customer nor a vendor. Give the contact "
        "the role “customer” in lexoffice, then reset the document."
    ),
    "lexoffice.status_not_writable": _(
        "lexoffice refuses to change the voucher's status: a voucher that is paid or booked "
        "there can no longer be changed through its interface. Correct it in lexoffice by "
        "hand, then mark the document as imported manually."
    ),
    "lexoffice.date_refused": _(
        "lexoffice refused the voucher date. Check the invoice date in your shop system, then "
        "reset the document."
    ),
    "lexoffice.number_refused": _(
        "lexoffice refused the voucher number. Check the invoice number in your shop system, "
        "then reset the document."
    ),
    "lexoffice.file_refused": _(
        "lexoffice refused the invoice's file (its type, size or content): it takes readable "
        "PDF, JPG and PNG files of at most 5 MB. Check the PDF in your shop system, then reset "
        "the document."
    ),
    "lexoffice.file_type_refused": _(
        "lexoffice refused the file type: it takes XML invoices (e-invoices) only when "
        "“E-Rechnung” is switched on in lexoffice. Switch it on there, then reset the document."
    ),
    "lexoffice.bad_request": _(
        "lexoffice refused a value as too long or too short. Check the texts of the document in "
        "your shop system (names, addresses), then reset it; support has the details."
    ),
    "lexoffice.field_refused": _(
        "lexoffice refused the field “%(remote_field)s” (%(key)s). Check the document's data "
        "in your shop system, then reset it; support has the details."
    ),
    "lexoffice.refused": _(
        "lexoffice refused the document without saying why (HTTP %(status)s). Support has the "
        "details; reset the document to try again."
    ),
    "lexoffice.plan_lacks_bookkeeping": _(
        "Your lexoffice plan has no bookkeeping, so belegsync cannot book vouchers into it. "
        "Choose a plan with bookkeeping in lexoffice, then check the connection again."
    ),
    "lexoffice.version_conflict": _(
        "The voucher was changed in lexoffice while belegsync updated it. Check it in "
        "lexoffice, then re-upload the document."
    ),
    "lexoffice.wrong_format": _(
        "belegsync sent lexoffice a request in the wrong format. This is not your fault: "
        "support has the details. Reset the document to try again."
    ),
    "lexoffice.no_api_key": _(
        "The lexoffice connection has no API key. Create one at "
        "https://app.lexware.de/addons/public-api and enter it in the connection's settings."
    ),
    "lexoffice.key_refused": _(
        "lexoffice did not accept this API key. Copy it again from "
        "https://app.lexware.de/addons/public-api (keys expire after 24 months)."
    ),
    "lexoffice.key_lacks_rights": _(
        "lexoffice accepted the API key but refused access: the key lacks a permission. Create "
        "a key with access to vouchers, files and contacts and enter it in the connection's "
        "settings."
    ),
    "lexoffice.contact_without_name": _(
        "Document %(number)s needs a lexoffice contact, but the buyer has no name. Add the "
        "buyer's name or company in your shop system, or switch off “a customer per buyer” in "
        "the connection's settings."
    ),
    "lexoffice.pdf_too_large": _(
        "The PDF %(filename)s has %(size_mb)s MB; lexoffice takes at most %(limit_mb)s MB per "
        "file. Make it smaller (for example without embedded images), then re-upload the "
        "document."
    ),
    "lexoffice.not_a_pdf": _(
        "The file %(filename)s is not a PDF: the shop system sent something else. Check the "
        "invoice PDF in your shop system, then reset the document."
    ),
    "lexoffice.voucher_gone": _(
        "lexoffice no longer has the voucher %(remote_id)s: it was probably deleted there. "
        "Reset the document to create it again."
    ),
    "sevdesk.account_not_allowed": _(
        "Position %(position)s (account %(account)s at %(rate)s): sevDesk does not allow "
        "this revenue account with the document's tax rule. Choose another revenue account "
        "in the connection settings, then reset the document."
    ),
    "sevdesk.small_business_mismatch": _(
        "Position %(position)s (account %(account)s at %(rate)s): sevDesk does not allow "
        "this combination; your sevDesk account is set up as a small business "
        "(Kleinunternehmer) or the other way round. Check the tax settings in sevDesk and "
        "the connection's small-business setting, then reset the document."
    ),
    "sevdesk.not_found": _(
        "sevDesk no longer has what belegsync refers to (it said: “%(remote_message)s”). If you "
        "deleted the voucher there, reset the document to create it again."
    ),
    "sevdesk.not_deletable": _(
        "sevDesk refused because the voucher is no draft any more (it said: "
        "“%(remote_message)s”). Check the voucher in sevDesk, then mark the document as "
        "imported manually."
    ),
    "sevdesk.not_a_draft": _(
        "sevDesk changes only drafts, and this voucher was booked or enshrined meanwhile (it "
        "said: “%(remote_message)s”). Check it in sevDesk, then mark the document as imported "
        "manually."
    ),
    "sevdesk.refused": _(
        "sevDesk refused the voucher and said: “%(remote_message)s”. Most often the revenue "
        "account does not fit the tax rule or rate: check the accounts in the connection's "
        "settings, then reset the document."
    ),
    "sevdesk.bad_request": _(
        "sevDesk refused the request as malformed (it said: “%(remote_message)s”). Support has "
        "the details; reset the document to try again."
    ),
    "sevdesk.conflict": _(
        "sevDesk refused because the voucher's state does not allow it (it said: "
        "“%(remote_message)s”). Check the voucher in sevDesk, then reset the document."
    ),
    "sevdesk.bookkeeping_v1": _(
        "This sevDesk account still uses bookkeeping system %(version)s; belegsync needs system "
        "2.0 (sevdesk-Update 2.0). Switch in sevDesk, then check the connection again."
    ),
    "sevdesk.paid_without_pdf": _(
        "Voucher %(number)s is already (partly) paid in sevDesk and has no PDF. sevDesk attaches "
        "files only to drafts, and making it a draft would undo its payments: attach the PDF in "
        "sevDesk by hand, then mark the document as imported manually."
    ),
}

#: Why an export leaves a document out, or cannot run (exports/service.py, targets/datev).
EXPORTS: dict[str, Promise] = {
    "datev.debtor_out_of_range": _(
        "Customer number %(customer_number)s gives the debtor account %(account)s, outside "
        "DATEV's debtor range %(low)s–%(high)s. Choose a smaller debtor base, or collective "
        "debtors, in the DATEV settings."
    ),
    "datev.foreign_currency": _(
        "The document is in %(currency)s; the DATEV export needs the amount in euros and the "
        "exchange rate, which the document does not carry. Book it by hand."
    ),
    "datev.number_too_long": _(
        "The invoice number has %(length)s characters; DATEV keeps at most %(limit)s. Book it "
        "by hand, or use shorter numbers in your shop system."
    ),
    "datev.zero_total": _(
        "The total is zero: DATEV refuses bookings without an amount, so there is nothing to "
        "book for this document."
    ),
    "datev.no_revenue_account": _(
        "There is no revenue account for %(treatment)s at %(rate)s. Set the account "
        "“%(key)s” in the DATEV settings (your tax advisor knows which one)."
    ),
    "datev.oss_tax_key_missing": _(
        "An EU distance sale (One-Stop-Shop) needs the DATEV tax key your tax advisor uses "
        "for it (often 240). Set “OSS tax key” in the DATEV settings."
    ),
    "datev.amount_too_large": _(
        "The amount %(amount)s is larger than DATEV can carry. Book it by hand."
    ),
    "datev.belegfeld1_taken": _(
        "Its Belegfeld 1 “%(belegfeld)s” would be the same as that of %(other)s, and DATEV "
        "could not tell the two apart. Export them in separate files, or rename one of the "
        "invoices in your shop system."
    ),
    "export.no_pdf": _(
        "The shop system has no PDF for this document (yet), so it is not in the ZIP. It can "
        "be exported once the PDF has arrived with a sync."
    ),
    "export.unreadable_voucher": _(
        "The stored data of this document cannot be read. Import it again, then export it."
    ),
    "export.no_datev_settings": _(
        "Set up the DATEV settings first (consultant number, client number, chart of "
        "accounts): your tax advisor has them."
    ),
}

#: A setting DATEV would refuse (targets/datev/rules.py): the field as the tax advisor
#: names it, and what to enter. Shown on the DATEV settings forms, for any mistake.
SETTINGS: dict[str, Promise] = {
    "datev.consultant_number": _(
        "Enter the consultant number (Beraternummer) as a whole number from %(low)s to "
        "%(high)s. Your tax advisor gives it to you."
    ),
    "datev.client_number": _(
        "Enter the client number (Mandantennummer) as a whole number from %(low)s to "
        "%(high)s. Your tax advisor gives it to you, with the consultant number."
    ),
    "datev.fiscal_year_start_month": _(
        "Enter the month your fiscal year starts in (WJ-Beginn) as a number from %(low)s to "
        "%(high)s: 1 for January, 7 for July. If your fiscal year is the calendar year, "
        "enter 1."
    ),
    "datev.account_length": _(
        "Enter the account length (Sachkontenlänge) as a number from %(low)s to %(high)s: "
        "the digits of a G/L account at your tax advisor, usually 4. If it differs from "
        "your tax advisor's setting, DATEV refuses the file."
    ),
    "datev.chart": _("Choose the chart of accounts your tax advisor uses: SKR03 or SKR04."),
    "datev.oss_tax_key": _(
        "The OSS tax key is a DATEV tax key (BU-Schlüssel) of up to 4 digits, often 240. Ask "
        "your tax advisor which key they use for EU distance sales, or leave it empty."
    ),
    "datev.collective_debtor": _(
        "The collective debtor must be a debtor account from %(low)s to %(high)s (one digit "
        "more than the account length). Enter the account your tax advisor gives you, or "
        "leave it empty for %(low)s."
    ),
    "datev.debtor_base": _(
        "The first debtor for customer numbers must be a debtor account from %(low)s to "
        "%(high)s; a customer's account is this account plus the customer number. Leave it "
        "empty for %(low)s."
    ),
    "datev.revenue_accounts": _(
        "Enter the revenue accounts as JSON, each key with its account number, e.g. "
        '{"domestic:19": 8400}; leave {} for the standard accounts of your chart.'
    ),
    "datev.payment_accounts": _(
        "Enter the accounts per payment method as JSON, each payment method as your shop "
        'system names it with its account number, e.g. {"paypal": 1360}; leave {} to book '
        "every payment on the bank account."
    ),
    "datev.bank_account": _(
        "Enter the bank account as an account number of your chart (e.g. 1200 in SKR03), "
        "or leave it empty."
    ),
    "datev.setting": _("DATEV would refuse this value. Ask your tax advisor for the right one."),
}

#: What an adapter finds missing or refused while it works (the connection's settings,
#: the remote's account), said with what to do.
ADAPTERS: dict[str, Promise] = {
    "lexoffice.distance_sale_principle_unknown": _(
        "This is an EU distance sale, and belegsync needs to know whether your lexoffice "
        "books distance sales in the country of destination or of origin. Choose it in the "
        "connection's settings, or add the API key so belegsync reads it from lexoffice; "
        "then reset the document."
    ),
    "billbee.webhook_not_removed": _(
        "Billbee did not remove the connection's webhook, so Billbee may go on calling "
        "belegsync about new orders; belegsync ignores these calls. To try again, press "
        "“Remove the webhook” on the connection's Billbee page (step 1)."
    ),
    "billbee.webhook_not_registered": _(
        "Billbee did not set up the connection's webhook again, so belegsync asks Billbee "
        "for new orders at the connection's interval. To try again, press “Set up the "
        "webhook at Billbee” on the connection's Billbee page (step 1)."
    ),
    "billbee.credentials_missing": _(
        "The Billbee connection lacks its API key, user or password. Enter all three in the "
        "connection's settings (step 1)."
    ),
    "afterbuy.credentials_incomplete": _(
        "The Afterbuy API credentials are incomplete: enter the PartnerToken and the "
        "AccountToken (or, for older accounts, PartnerID, partner password, UserID and user "
        "password) in the connection's settings."
    ),
    "afterbuy.credentials_refused": _(
        "Afterbuy did not accept the API credentials (Afterbuy says: “%(remote_message)s”). "
        "Check the PartnerToken and the AccountToken (or, for older accounts, the partner and "
        "user ids) in the connection's settings; until then the connection is paused and no "
        "document is lost."
    ),
    "afterbuy.call_limit": _(
        "Afterbuy's call limit for this account is used up for now. belegsync tries again in "
        "an hour by itself; no document is lost."
    ),
    "afterbuy.login_loop": _(
        "Afterbuy keeps asking for the login although it accepted it, so belegsync cannot "
        "download the invoice PDFs; the connection is paused. Log in to Afterbuy once in a "
        "browser (Afterbuy may ask you to confirm something there), then press “Check "
        "again”."
    ),
}

#: What a connection still needs before it syncs (services.connections.setup_reasons);
#: ``system``, ``setting`` and ``step`` are looked up in the reader's language when shown.
SETUP: dict[str, Promise] = {
    "setup.unknown_kind": _("Choose a known system for the %(side)s."),
    "setup.credentials": _(
        "%(system)s has not accepted the credentials yet: enter them and save, or press "
        "“Check again”."
    ),
    "setup.setting": _("%(system)s: “%(setting)s” is not set yet."),
    "setup.step": _("%(system)s: the step “%(step)s” is not saved yet."),
    "setup.payment_accounts": _(
        "Assign the payment methods to %(system)s accounts, or book unassigned payments on "
        "the standard account, or send vouchers as open."
    ),
}

#: Every code and its text.
TEXTS: dict[str, Promise] = {
    **VOUCHER_DATA,
    **ENGINE,
    **SOURCES,
    **REMOTE,
    **CATEGORIES,
    **HISTORY,
    **EVIDENCE,
    **CHECKS,
    **FILES,
    **TARGETS,
    **EXPORTS,
    **SETTINGS,
    **SETUP,
    **ADAPTERS,
}


# --- words of our own lists ----------------------------------------------------

TREATMENT_LABELS: dict[str, Promise] = {
    "domestic": _("a domestic sale"),
    "eu_distance_sale": _("an EU distance sale"),
    "intra_eu_supply": _("an intra-community supply"),
    "export": _("an export"),
    "small_business": _("a small business (§ 19 UStG)"),
}

#: The parts of a voucher, by bookkeeping's field path.
FIELD_LABELS: dict[str, Promise] = {
    "number": _("The invoice number"),
    "currency": _("The currency"),
    "exchange_rate": _("The exchange rate"),
    "invoice_date": _("The invoice date"),
    "refers_to": _("The corrected invoice"),
    "total_gross": _("The gross total"),
    "total_net": _("The net total"),
    "lines": _("The line items"),
    "payments": _("The payments"),
    "party": _("The buyer"),
    "party.country": _("The buyer's country"),
    "party.vat_id": _("The buyer's VAT ID"),
    "party.name": _("The buyer's name"),
    "voucher": _("The document"),
}

#: Parts of a line or payment: ``lines[2].gross`` → "Line 3: gross amount".
LINE_FIELD_LABELS: dict[str, Promise] = {
    "quantity": _("Line %(line)s: the quantity"),
    "net": _("Line %(line)s: the net amount"),
    "gross": _("Line %(line)s: the gross amount"),
    "tax_rate": _("Line %(line)s: the tax rate"),
    "description": _("Line %(line)s: the description"),
    "": _("Line %(line)s"),
}

PAYMENT_FIELD_LABELS: dict[str, Promise] = {
    "amount": _("Payment %(line)s: the amount"),
    "method": _("Payment %(line)s: the payment method"),
    "date": _("Payment %(line)s: the date"),
    "": _("Payment %(line)s"),
}

TAX_FIELD_LABEL = _("The tax at %(rate)s")
#: A text recorded before reasons were codes, which no pattern could read back: shown as is.
LEGACY = "legacy"
UNKNOWN_CODE = _("Something went wrong (code %(code)s). Support can tell you more.")
