"""The gross of the documents' lines per connection, invoice date, currency and tax rate,
kept by triggers that read the voucher's lines (the month report's gross per tax rate
adds at most 31 rows per rate instead of decoding every voucher of the month).

Like 0017's day counts, kept by the database so that no writer can forget them. A
line's rate and gross are the strings ``bookkeeping.serialization`` writes ("19",
"40.00", "-3.333333"); the gross is added as an integer of millionths, exact on both
databases. A line the triggers cannot add exactly (a rate not in that canonical form,
a gross with more than 6 decimals or 8 digits before the point, either not a string)
is counted in ``unsplit`` under the rate ``''``: a month with any is summed from its
vouchers as before (``documents.report.gross_per_rate``). A line without a rate or a
gross (or with a null one), or that is no object, is left out, as the report does.
"""

import django.db.models.deletion
from django.db import migrations, models

DOCUMENTS = "documents_document"
RATES = "documents_documentrategross"
KEY = "connection_id, day, currency, rate"
WATCHED = ("connection_id", "invoice_date", "currency", "kind", "voucher")
SCALE = 1_000_000


def sign(row: str) -> str:
    return f"CASE WHEN {row}kind = 'credit_note' THEN -1 ELSE 1 END"


# --- SQLite: json_each over the lines ------------------------------------------------

#: The rate in one text per value ("0", "19", "5.5"; not "19.0", "05" or "-7"): the
#: text SQLite writes for the number it reads from it, as the report keys by value.
SQLITE_RATE_OK = "(CAST(CAST(r AS NUMERIC) AS TEXT) = r AND r NOT GLOB '-*')"
#: A plain decimal ("40.00", "-3.333333") of at most 6 places below 10^8: read as a
#: double and scaled, its millionths are below 2^47 and round to themselves exactly.
SQLITE_GROSS_OK = """(g NOT GLOB '*[^0-9.-]*' AND g NOT GLOB '?*-*' AND g NOT GLOB '*.*.*'
    AND (g GLOB '[0-9]*' OR g GLOB '-[0-9]*') AND g GLOB '*[0-9]'
    AND (instr(g, '.') = 0 OR length(g) - instr(g, '.') <= 6)
    AND abs(CAST(g AS REAL)) < 100000000)"""
#: json_extract gives a JSON string as text, a number as a number, an object or array
#: as JSON text (which no check above lets through), null or nothing as NULL.
SQLITE_EXACT = (
    f"(typeof(r) = 'text' AND typeof(g) = 'text' AND {SQLITE_RATE_OK} AND {SQLITE_GROSS_OK})"
)


def sqlite_lines(row: str) -> str:
    """One row per line of the document ``row`` (``NEW.`` / ``OLD.``) that the report
    adds (it leaves out a line without a rate or a gross, a null one, and a line that
    is no object): its rate ("" when not added exactly) and gross in millionths.
    ``typeof(l.key) = 'integer'``: the lines are an array (an object's members have text
    keys, a scalar a NULL key). ``LIMIT -1`` keeps SQLite from copying a subquery's
    expressions into the query around it, where each would be evaluated once per use."""
    fields = f"""
        SELECT json_extract(l.value, '$.tax_rate') AS r, json_extract(l.value, '$.gross') AS g
        FROM json_each({row}voucher, '$.lines') AS l
        WHERE typeof(l.key) = 'integer' AND l.type = 'object' LIMIT -1"""
    return f"""
    SELECT CASE WHEN {SQLITE_EXACT} THEN r ELSE '' END AS rate,
        CAST(round(CAST(g AS REAL) * {SCALE}) AS INTEGER) AS millionths
    FROM ({fields}) AS fields WHERE r IS NOT NULL AND g IS NOT NULL LIMIT -1"""


def sqlite_grouped(row: str) -> str:
    """The lines of the document ``row`` per rate: (rate, lines, gross, unsplit)."""
    return f"""
    SELECT rate, sum(rate <> '') AS lines,
        ({sign(row)}) * sum(CASE WHEN rate <> '' THEN millionths ELSE 0 END) AS gross,
        sum(rate = '') AS unsplit
    FROM ({sqlite_lines(row)}) AS each_line
    WHERE {row}invoice_date IS NOT NULL
    GROUP BY rate"""


def sqlite_add(row: str) -> str:
    return f"""
    INSERT INTO {RATES} ({KEY}, lines, gross_millionths, unsplit)
    SELECT {row}connection_id, {row}invoice_date, {row}currency, rate, lines, gross, unsplit
    FROM ({sqlite_grouped(row)}) AS per_rate WHERE true
    ON CONFLICT ({KEY}) DO UPDATE SET lines = lines + excluded.lines,
        gross_millionths = gross_millionths + excluded.gross_millionths,
        unsplit = unsplit + excluded.unsplit;"""


#: Taking away only updates the rows the document was added to (an insert here would
#: bring back rows of a connection being deleted).
def sqlite_subtract(row: str) -> str:
    return f"""
    UPDATE {RATES} SET lines = {RATES}.lines - per_rate.lines,
        gross_millionths = {RATES}.gross_millionths - per_rate.gross,
        unsplit = {RATES}.unsplit - per_rate.unsplit
    FROM ({sqlite_grouped(row)}) AS per_rate
    WHERE {RATES}.connection_id = {row}connection_id AND {RATES}.day = {row}invoice_date
        AND {RATES}.currency = {row}currency AND {RATES}.rate = per_rate.rate;"""


SQLITE_FORWARD = [
    f"""CREATE TRIGGER document_rate_gross_insert AFTER INSERT ON {DOCUMENTS}
    BEGIN {sqlite_add("NEW.")} END""",
    f"""CREATE TRIGGER document_rate_gross_delete AFTER DELETE ON {DOCUMENTS}
    BEGIN {sqlite_subtract("OLD.")} END""",
    f"""CREATE TRIGGER document_rate_gross_update
    AFTER UPDATE OF {", ".join(WATCHED)} ON {DOCUMENTS}
    WHEN {" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)}
    BEGIN {sqlite_subtract("OLD.")} {sqlite_add("NEW.")} END""",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS document_rate_gross_{op}" for op in ("insert", "update", "delete")
]

# --- PostgreSQL: statement triggers over the transition tables, as in 0017 -------------

PG_RATE_OK = r"(r ~ '^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$' AND length(r) <= 20)"
PG_GROSS_OK = r"(g ~ '^-?[0-9]{1,8}(\.[0-9]{1,6})?$')"
PG_EXACT = f"(t = 'object' AND rt = 'string' AND gt = 'string' AND {PG_RATE_OK} AND {PG_GROSS_OK})"
PG_COUNTED = "(t = 'object' AND rt IS NOT NULL AND rt <> 'null' AND gt IS NOT NULL AND gt <> 'null')"


def pg_lines(rows: str, factor: int) -> str:
    """The lines of the documents in ``rows`` (a transition table or the table), each
    with the factor its change applies (1 added, -1 taken away)."""
    return f"""
    SELECT d.connection_id, d.invoice_date AS day, d.currency, {factor} AS factor,
        {sign("d.")} AS sign, jsonb_typeof(e) AS t,
        jsonb_typeof(e -> 'tax_rate') AS rt, e ->> 'tax_rate' AS r,
        jsonb_typeof(e -> 'gross') AS gt, e ->> 'gross' AS g
    FROM {rows} AS d CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(d.voucher -> 'lines') = 'array' THEN d.voucher -> 'lines'
        ELSE '[]'::jsonb END) AS e
    WHERE d.invoice_date IS NOT NULL"""


def pg_upsert(changes: str) -> str:
    return f"""
    INSERT INTO {RATES} ({KEY}, lines, gross_millionths, unsplit)
    SELECT connection_id, day, currency, CASE WHEN {PG_EXACT} THEN r ELSE '' END AS rate,
        sum(factor * CASE WHEN {PG_EXACT} THEN 1 ELSE 0 END),
        sum(factor * sign * CASE WHEN {PG_EXACT} THEN (g::numeric * {SCALE})::bigint ELSE 0 END),
        sum(factor * CASE WHEN {PG_EXACT} THEN 0 ELSE 1 END)
    FROM ({changes}) AS changes WHERE {PG_COUNTED}
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT ({KEY}) DO UPDATE SET lines = {RATES}.lines + EXCLUDED.lines,
        gross_millionths = {RATES}.gross_millionths + EXCLUDED.gross_millionths,
        unsplit = {RATES}.unsplit + EXCLUDED.unsplit;"""


#: An update's rows whose lines may count elsewhere now: the others (a state change, a
#: lease) cost a join of the transition tables and no parse of their voucher.
PG_CHANGED = f"""(SELECT o.* FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
    WHERE ({", ".join(f"o.{c}" for c in WATCHED)}) IS DISTINCT FROM
        ({", ".join(f"n.{c}" for c in WATCHED)}))"""
PG_CHANGED_NEW = PG_CHANGED.replace("SELECT o.*", "SELECT n.*")
PG_FUNCTION = f"""
CREATE FUNCTION document_rate_gross_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {pg_upsert(pg_lines("new_rows", 1))}
    ELSIF TG_OP = 'DELETE' THEN
        {pg_upsert(pg_lines("old_rows", -1))}
    ELSE
        {pg_upsert(pg_lines(PG_CHANGED_NEW, 1) + " UNION ALL " + pg_lines(PG_CHANGED, -1))}
    END IF;
    RETURN NULL;
END $$"""
PG_FORWARD = [
    PG_FUNCTION,
    f"""CREATE TRIGGER document_rate_gross_insert AFTER INSERT ON {DOCUMENTS}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_rate_gross_apply()""",
    f"""CREATE TRIGGER document_rate_gross_update AFTER UPDATE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_rate_gross_apply()""",
    f"""CREATE TRIGGER document_rate_gross_delete AFTER DELETE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_rate_gross_apply()""",
]
PG_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS document_rate_gross_{op} ON {DOCUMENTS}"
        for op in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS document_rate_gross_apply()",
]


def backfill(vendor: str) -> str:
    """Every document's lines at once (the table is new: nothing to merge with)."""
    if vendor == "postgresql":
        return pg_upsert(pg_lines(DOCUMENTS, 1))
    fields = f"""
        SELECT d.connection_id, d.invoice_date, d.currency, d.kind,
            json_extract(l.value, '$.tax_rate') AS r, json_extract(l.value, '$.gross') AS g
        FROM {DOCUMENTS} AS d, json_each(d.voucher, '$.lines') AS l
        WHERE d.invoice_date IS NOT NULL AND typeof(l.key) = 'integer' AND l.type = 'object'
        LIMIT -1"""
    lines = f"""
        SELECT connection_id, invoice_date, currency, kind,
            CASE WHEN {SQLITE_EXACT} THEN r ELSE '' END AS rate,
            CAST(round(CAST(g AS REAL) * {SCALE}) AS INTEGER) AS millionths
        FROM ({fields}) AS fields WHERE r IS NOT NULL AND g IS NOT NULL LIMIT -1"""
    return f"""
    INSERT INTO {RATES} ({KEY}, lines, gross_millionths, unsplit)
    SELECT connection_id, invoice_date, currency, rate, sum(rate <> ''),
        sum(({sign("")}) * CASE WHEN rate <> '' THEN millionths ELSE 0 END), sum(rate = '')
    FROM ({lines}) AS each_line GROUP BY 1, 2, 3, 4"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = PG_FORWARD if vendor == "postgresql" else SQLITE_FORWARD
    for sql in [backfill(vendor), *statements]:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in PG_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0018_month_report_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentRateGross",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("currency", models.CharField(max_length=3)),
                ("rate", models.CharField(max_length=20)),
                ("lines", models.BigIntegerField(default=0)),
                ("gross_millionths", models.BigIntegerField(default=0)),
                ("unsplit", models.BigIntegerField(default=0)),
                (
                    "connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="documents.connection",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("connection", "day", "currency", "rate"),
                        name="document_rate_gross_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
