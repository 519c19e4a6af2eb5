"""Which invoice numbers a month has, as bits in blocks of 32 numbers, kept by triggers
(the month report's number gaps read about one row per 32 numbers instead of every
number of the month).

A number splits as ``lib.numbering`` splits it: the prefix before the trailing digits,
their count (the width) and their value; the block is ``value // 32`` and the number
its bit ``1 << value % 32``, added as an integer (a number is at most once per
connection and kind, so the sum of bits is their union). ``unskipped`` counts the
block's numbers whose document is not skipped: skipped ones fill gaps but make no
sequence of their own. The database splits a number of printable ASCII without a
leading space and with at most 18 trailing digits; any other number with digits at
its end is counted in ``unsplit`` (prefix "", width 0), and such a month's gaps are
found from its numbers as before (``documents.report``).
"""

import django.db.models.deletion
from django.db import migrations, models

DOCUMENTS = "documents_document"
BLOCKS = "documents_documentnumberblock"
KEY = "connection_id, kind, month, prefix, width, block"
WATCHED = ("connection_id", "kind", "invoice_date", "source_number")
BITS = 32


def split(row: str, vendor: str) -> dict[str, str]:
    """The SQL of the number of the document ``row`` split, per database."""
    n = f"{row}source_number"
    prefix = f"rtrim({n}, '0123456789')"
    digits = f"substr({n}, length({prefix}) + 1)"
    if vendor == "postgresql":
        printable = f"{n} ~ '^[ -~]*$'"
        spaced_start, spaced_end = f"left({n}, 1) = ' '", f"right({n}, 1) = ' '"
        value = f"({digits})::bigint"
        month = f"date_trunc('month', {row}invoice_date)::date"
        bit = f"(1::bigint << mod({value}, {BITS})::int)"  # no %: psycopg's placeholder
    else:
        printable = f"{n} NOT GLOB '*[^ -~]*'"
        spaced_start, spaced_end = f"{n} GLOB ' *'", f"{n} GLOB '* '"
        value = f"CAST({digits} AS INTEGER)"
        month = f"date({row}invoice_date, 'start of month')"
        bit = f"(1 << ({value} % {BITS}))"
    split = f"({printable} AND NOT {spaced_start} AND {digits} <> '' AND length({digits}) <= 18)"
    #: no trailing digits, and none after strip(): no sequence, nothing to count
    silent = f"({printable} AND {digits} = '' AND NOT {spaced_end})"
    skipped = f"{row}state = 'skipped'"
    return {
        "month": month,
        "prefix": f"CASE WHEN {split} THEN {prefix} ELSE '' END",
        "width": f"CASE WHEN {split} THEN length({digits}) ELSE 0 END",
        "block": f"CASE WHEN {split} THEN {value} / {BITS} ELSE 0 END",
        "bits": f"CASE WHEN {split} THEN {bit} ELSE 0 END",
        "unskipped": f"CASE WHEN {split} AND NOT {skipped} THEN 1 ELSE 0 END",
        "unsplit": f"CASE WHEN {split} THEN 0 ELSE 1 END",
        "counted": f"({row}invoice_date IS NOT NULL AND NOT {silent})",
    }


COLUMNS = ("month", "prefix", "width", "block", "bits", "unskipped", "unsplit")


def sqlite_number(row: str, rows: str = "") -> str:
    """The number of the document ``row`` (``NEW.`` / ``OLD.``) split once, as the columns
    the expressions of :func:`split` read in SQLite (``LIMIT -1`` keeps SQLite from
    copying the subquery's expressions into each use). With ``rows`` (a table or a
    subquery, ``row`` then ""): the number of each of its documents, beside its columns
    (documents/0022 counts a batch of documents so)."""
    n = f"{row}source_number"
    printable = f"{n} NOT GLOB '*[^ -~]*'"
    keep, source = ("*, ", f" FROM {rows}") if rows else ("", "")
    parts = f"""SELECT {keep}rtrim({n}, '0123456789') AS p,
        substr({n}, length(rtrim({n}, '0123456789')) + 1) AS d{source} LIMIT -1"""
    return f"""(SELECT {keep or "p, d, "}CAST(d AS INTEGER) AS v,
        ({printable} AND {n} NOT GLOB ' *' AND d <> '' AND length(d) <= 18) AS ok,
        ({printable} AND d = '' AND {n} NOT GLOB '* ') AS silent
    FROM ({parts}) LIMIT -1) AS number"""


def sqlite_columns(row: str) -> dict[str, str]:
    skipped = f"{row}state = 'skipped'"
    return {
        "month": f"date({row}invoice_date, 'start of month')",
        "prefix": "CASE WHEN ok THEN p ELSE '' END",
        "width": "CASE WHEN ok THEN length(d) ELSE 0 END",
        "block": f"CASE WHEN ok THEN v / {BITS} ELSE 0 END",
        "bits": f"CASE WHEN ok THEN 1 << (v % {BITS}) ELSE 0 END",
        "unskipped": f"CASE WHEN ok AND NOT {skipped} THEN 1 ELSE 0 END",
        "unsplit": "CASE WHEN ok THEN 0 ELSE 1 END",
        "counted": f"({row}invoice_date IS NOT NULL AND NOT silent)",
    }


def sqlite_add(row: str) -> str:
    s = sqlite_columns(row)
    return f"""
    INSERT INTO {BLOCKS} ({KEY}, bits, unskipped, unsplit)
    SELECT {row}connection_id, {row}kind, {", ".join(s[c] for c in COLUMNS)}
    FROM {sqlite_number(row)} WHERE {s["counted"]}
    ON CONFLICT ({KEY}) DO UPDATE SET bits = bits + excluded.bits,
        unskipped = unskipped + excluded.unskipped, unsplit = unsplit + excluded.unsplit;"""


def sqlite_subtract(row: str) -> str:
    s = sqlite_columns(row)
    return f"""
    UPDATE {BLOCKS} SET bits = {BLOCKS}.bits - ({s["bits"]}),
        unskipped = {BLOCKS}.unskipped - ({s["unskipped"]}),
        unsplit = {BLOCKS}.unsplit - ({s["unsplit"]})
    FROM {sqlite_number(row)}
    WHERE {s["counted"]} AND connection_id = {row}connection_id AND kind = {row}kind
        AND month = {s["month"]} AND prefix = {s["prefix"]} AND width = {s["width"]}
        AND block = {s["block"]};"""


#: A state change matters only into or out of skipped (the transitions between the
#: others, the claims and leases, leave the blocks alone).
SQLITE_CHANGED = " OR ".join(
    [*(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED), "(OLD.state = 'skipped') <> (NEW.state = 'skipped')"]
)
SQLITE_FORWARD = [
    f"""CREATE TRIGGER document_number_block_insert AFTER INSERT ON {DOCUMENTS}
    BEGIN {sqlite_add("NEW.")} END""",
    f"""CREATE TRIGGER document_number_block_delete AFTER DELETE ON {DOCUMENTS}
    BEGIN {sqlite_subtract("OLD.")} END""",
    f"""CREATE TRIGGER document_number_block_update
    AFTER UPDATE OF {", ".join((*WATCHED, "state"))} ON {DOCUMENTS}
    WHEN {SQLITE_CHANGED}
    BEGIN {sqlite_subtract("OLD.")} {sqlite_add("NEW.")} END""",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS document_number_block_{op}" for op in ("insert", "update", "delete")
]


def pg_changes(rows: str, factor: int) -> str:
    s = split("d.", "postgresql")
    return f"""
    SELECT d.connection_id, d.kind, {", ".join(f"{s[c]} AS {c}" for c in COLUMNS[:4])},
        {factor} * ({s["bits"]}) AS bits, {factor} * ({s["unskipped"]}) AS unskipped,
        {factor} * ({s["unsplit"]}) AS unsplit
    FROM {rows} AS d WHERE {s["counted"]}"""


def pg_upsert(changes: str) -> str:
    return f"""
    INSERT INTO {BLOCKS} ({KEY}, bits, unskipped, unsplit)
    SELECT connection_id, kind, month, prefix, width, block, sum(bits), sum(unskipped),
        sum(unsplit)
    FROM ({changes}) AS changes GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(bits) <> 0 OR sum(unskipped) <> 0 OR sum(unsplit) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ({KEY}) DO UPDATE SET bits = {BLOCKS}.bits + EXCLUDED.bits,
        unskipped = {BLOCKS}.unskipped + EXCLUDED.unskipped,
        unsplit = {BLOCKS}.unsplit + EXCLUDED.unsplit;"""


PG_CHANGED = f"""(SELECT o.* FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
    WHERE ({", ".join(f"o.{c}" for c in WATCHED)}, o.state = 'skipped') IS DISTINCT FROM
        ({", ".join(f"n.{c}" for c in WATCHED)}, n.state = 'skipped'))"""
PG_CHANGED_NEW = PG_CHANGED.replace("SELECT o.*", "SELECT n.*")
PG_FUNCTION = f"""
CREATE FUNCTION document_number_block_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {pg_upsert(pg_changes("new_rows", 1))}
    ELSIF TG_OP = 'DELETE' THEN
        {pg_upsert(pg_changes("old_rows", -1))}
    ELSE
        {pg_upsert(pg_changes(PG_CHANGED_NEW, 1) + " UNION ALL " + pg_changes(PG_CHANGED, -1))}
    END IF;
    RETURN NULL;
END $$"""
PG_FORWARD = [
    PG_FUNCTION,
    f"""CREATE TRIGGER document_number_block_insert AFTER INSERT ON {DOCUMENTS}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_number_block_apply()""",
    f"""CREATE TRIGGER document_number_block_update AFTER UPDATE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_number_block_apply()""",
    f"""CREATE TRIGGER document_number_block_delete AFTER DELETE ON {DOCUMENTS}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_number_block_apply()""",
]
PG_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS document_number_block_{op} ON {DOCUMENTS}"
        for op in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS document_number_block_apply()",
]


def backfill(vendor: str) -> str:
    if vendor == "postgresql":
        return pg_upsert(pg_changes(DOCUMENTS, 1))
    s = split("", "sqlite")
    return f"""
    INSERT INTO {BLOCKS} ({KEY}, bits, unskipped, unsplit)
    SELECT connection_id, kind, {", ".join(s[c] for c in COLUMNS[:4])},
        sum({s["bits"]}), sum({s["unskipped"]}), sum({s["unsplit"]})
    FROM {DOCUMENTS} WHERE {s["counted"]} GROUP BY 1, 2, 3, 4, 5, 6"""


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
        ("documents", "0019_document_rate_gross"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentNumberBlock",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=20)),
                ("month", models.DateField()),
                ("prefix", models.CharField(max_length=100)),
                ("width", models.PositiveSmallIntegerField()),
                ("block", models.BigIntegerField()),
                ("bits", models.BigIntegerField(default=0)),
                ("unskipped", models.BigIntegerField(default=0)),
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
                        fields=("connection", "kind", "month", "prefix", "width", "block"),
                        name="document_number_block_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
