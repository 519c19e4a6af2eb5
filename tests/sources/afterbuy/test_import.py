from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from belegsync.documents.models import Connection, Document, Event
from belegsync.documents.states import State
from belegsync.reasons import file_problem
from belegsync.services import Actor
from belegsync.services import imports as services
from belegsync.sync.models import ImportJob

from .corpus import EXPECTED, SAMPLE_CP1252, SAMPLE_UTF8, broken_files
from .generator import generate

MODE_VALID, MODE_NOTHING = ImportJob.Mode.VALID, ImportJob.Mode.NOTHING


@pytest.fixture
def afterbuy(org):
    return Connection.objects.create(
        organisation=org, name="Afterbuy → Books", source_kind="afterbuy_csv", target_kind="memory"
    )


def _import(connection: Connection, path: Path, mode: str = MODE_VALID) -> ImportJob:
    actor = Actor.system("cli")
    job = services.start_import_from_path(actor, connection, path, mode=mode)
    return services.import_now(actor, job)


def counts(job: ImportJob, *outcomes: str) -> tuple[int, ...]:
    return tuple(job.count(o) for o in outcomes)


def _snapshot() -> list[tuple]:
    documents = Document.objects.order_by("id").values_list(
        "source_number", "state", "voucher", "pending_voucher", "failure_details"
    )
    return [*documents, ("events", Event.objects.count())]


def test_it_imports_the_reference_sample_as_waiting_documents(afterbuy) -> None:
    record = _import(afterbuy, SAMPLE_UTF8)
    assert record.state == "done" and record.details["encoding"] == "UTF-8"
    assert counts(record, "created", "failed", "rejected") == (9, 1, 0)
    waiting = Document.objects.filter(connection=afterbuy, state=State.WAITING)
    assert waiting.count() == 9
    # the sample's 0 % sale to the Netherlands names a made-up VAT id: taxable, failed
    made_up = Document.objects.get(source_number="24191")
    assert [r.code for r in made_up.failures] == ["vat_id_invalid"]
    # the sample's credit notes name no invoice they correct: bookable all the same
    # (the document page and the month report say so), never failed for it
    credit = Document.objects.get(source_number="24231")
    assert credit.state == State.WAITING and credit.kind == "credit_note"
    assert Event.objects.filter(document__connection=afterbuy, action="import").count() == 10
    with record.file.open("rb") as kept:
        assert kept.read() == SAMPLE_UTF8.read_bytes()
    assert ImportJob.objects.get(pk=record.pk).count("created") == 9


def test_it_changes_nothing_when_the_same_file_comes_twice(afterbuy) -> None:
    _import(afterbuy, SAMPLE_UTF8)
    before = _snapshot()
    record = _import(afterbuy, SAMPLE_CP1252)  # same content, other encoding
    assert counts(record, "created", "updated", "unchanged") == (0, 0, 10)
    assert _snapshot() == before


def test_it_reports_done_documents_as_already_transferred(afterbuy) -> None:
    _import(afterbuy, SAMPLE_UTF8)
    Document.objects.filter(source_number="24187").update(state=State.DONE)
    record = _import(afterbuy, SAMPLE_UTF8)
    assert record.count("already_transferred") == 1
    assert record.numbers["already_transferred"] == ["24187"]
    assert Document.objects.get(source_number="24187").state == State.DONE


def test_it_updates_waiting_and_failed_and_keeps_newer_data_of_done_for_reupload(
    afterbuy, tmp_path: Path
) -> None:
    _import(afterbuy, SAMPLE_UTF8)
    Document.objects.filter(source_number="24188").update(state=State.DONE)
    changed = tmp_path / "changed.csv"
    text = SAMPLE_UTF8.read_bytes().decode("utf-8")
    text = text.replace("Jana;Köhler", "Jana;Köhler-Neu").replace(
        "Matthias;Brandt", "Matthias;Brand"
    )
    changed.write_bytes(text.encode("utf-8"))
    record = _import(afterbuy, changed)
    # Köhler's invoice and credit note (which names no invoice, still bookable): updated
    assert record.count("updated") == 2
    assert sorted(record.numbers["updated"]) == ["24187", "24231"]
    assert counts(record, "already_transferred", "pending_reupload") == (1, 1)
    assert Document.objects.get(source_number="24187").voucher["party"]["name"] == "Jana Köhler-Neu"
    done = Document.objects.get(source_number="24188")
    assert done.voucher["party"]["name"] == "Matthias Brandt"
    assert done.pending_voucher["party"]["name"] == "Matthias Brand"


def test_it_imports_valid_rows_and_lists_the_bad_ones(afterbuy, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(broken_files()["bad_number"])
    record = _import(afterbuy, path, MODE_VALID)
    assert counts(record, "rejected", "created") == (1, 8)
    assert not Document.objects.filter(source_number="24189").exists()
    assert record.problems[0]["line"] == 4 and record.problems[0]["column"] == "Bereits bezahlt"
    assert record.problems[0]["code"] == "csv.not_a_number"
    with translation.override("de"):
        assert file_problem(record.problems[0]).startswith("Zeile 4, Spalte „Bereits bezahlt“")


def test_it_imports_nothing_in_mode_nothing_when_a_row_is_bad(afterbuy, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(broken_files()["bad_number"])
    record = _import(afterbuy, path, MODE_NOTHING)
    assert counts(record, "rejected", "created") == (1, 0)
    assert Document.objects.count() == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("mode", [MODE_VALID, MODE_NOTHING])
def test_it_leaves_the_database_unchanged_for_a_broken_file(
    afterbuy, tmp_path: Path, name: str, mode: str
) -> None:
    _import(afterbuy, SAMPLE_UTF8)
    before = _snapshot()
    path = tmp_path / f"{name}.csv"
    content = broken_files()[name]
    # change every invoice, so a half-done import would show
    path.write_bytes(content.replace(b"Jana", b"Jane"))
    record = _import(afterbuy, path, mode)
    code, column = EXPECTED[name]
    if code:
        assert record.file_error["code"] == code
        assert record.nothing_imported
        assert _snapshot() == before
    elif column is not None:
        assert record.problems and record.problems[0]["column"] == column
        if mode == MODE_NOTHING:
            assert _snapshot() == before
        else:  # the bad invoice is not touched
            bad = record.problems[0]["number"]
            assert [d for d in before if d[0] == bad] == [d for d in _snapshot() if d[0] == bad]
    else:
        assert record.stored == 0 and _snapshot() == before


def test_it_asks_for_a_mapping_and_uses_it_once_saved(afterbuy, tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    path.write_bytes(broken_files()["missing_column"])
    record = _import(afterbuy, path)
    assert record.state == "needs_mapping" and record.file_error["missing"] == ["total_gross"]
    assert Document.objects.count() == 0
    afterbuy.settings = {"source": {"csv_mapping": {"total_gross": "Summe"}}}
    afterbuy.save()
    services.import_again(Actor.system(), record)
    record = services.import_now(Actor.system(), record)
    assert record.state == "done" and record.count("created") == 9


def test_it_refuses_a_file_over_the_limit(afterbuy, tmp_path: Path, settings) -> None:
    settings.BELEGSYNC_IMPORT_MAX_BYTES = 1000
    uploads = Path(settings.DATA_DIR) / "files" / "imports"
    before = set(uploads.rglob("*")) if uploads.exists() else set()
    with pytest.raises(services.UploadRefused, match="MB"):
        services.start_import_from_path(Actor.system(), afterbuy, SAMPLE_UTF8)
    assert set(uploads.rglob("*")) == before and not ImportJob.objects.exists()


def test_it_imports_a_generated_file_in_batches(afterbuy, tmp_path: Path) -> None:
    path = tmp_path / "gen.csv"
    written = generate(path, 1200, seed=11)
    record = _import(afterbuy, path)
    assert counts(record, "created", "failed") == (len(written), 0)
    credit_notes = sum(w.credit_note for w in written)
    assert Document.objects.filter(kind="credit_note").count() == credit_notes
    assert Event.objects.count() == len(written)


def test_the_command_prints_the_summary_and_fails_when_nothing_could_be_imported(
    afterbuy, tmp_path: Path
) -> None:
    from io import StringIO

    out = StringIO()
    call_command("import", "afterbuy-csv", str(SAMPLE_UTF8), connection=afterbuy.name, stdout=out)
    assert "created:" in out.getvalue() and " 9  (new)" in out.getvalue()
    broken = tmp_path / "junk.csv"
    broken.write_bytes(bytes(range(256)) * 10)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import", "afterbuy-csv", str(broken), connection=afterbuy.name, stdout=out)
    assert "not a readable CSV" in out.getvalue()
