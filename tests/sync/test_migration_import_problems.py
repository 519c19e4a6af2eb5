"""Import jobs written when a file's problems were finished texts read as codes after 0003."""

from __future__ import annotations

import pytest
from django.utils import translation

from belegsync.reasons import file_problem
from tests.migrating import back_to_the_newest, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

BEFORE = [("sync", "0003_month_file")]
AFTER = [("sync", "0004_import_problems_as_codes")]


def _migrate(targets):
    return migrate(targets, others_at_newest=True)


def test_old_problem_texts_are_kept_in_both_languages_with_where_they_are():
    """GIVEN an import job with a row problem and a file error stored as German and English text
    WHEN the migration runs
    THEN both read as the code legacy, shown in the reader's language with line and column,
    and what the column mapping needs is still there."""
    old = _migrate(BEFORE)
    organisation = old.get_model("documents", "Organisation").objects.create(name="o", slug="o")
    link = old.get_model("documents", "Connection").objects.create(
        organisation=organisation, name="c", source_kind="afterbuy_csv", target_kind="memory"
    )
    ImportJob = old.get_model("sync", "ImportJob")
    row = {"line": 4, "column": "Bereits bezahlt", "value": "19,99,1", "number": "24189"}
    job = ImportJob.objects.create(
        connection=link,
        actor="alice",
        file="imports/x.csv",
        filename="x.csv",
        problems=[{**row, "de": "Zeile 4: keine Zahl", "en": "line 4: not a number"}],
        file_error={
            "code": "missing_columns",
            "de": "Der Datei fehlen Pflichtspalten",
            "en": "The file lacks required columns",
            "line": 1,
            "missing": ["total_gross"],
            "headers": ["Summe"],
        },
    )
    new = _migrate(AFTER)
    migrated = new.get_model("sync", "ImportJob").objects.get(pk=job.pk)
    problem, error = migrated.problems[0], migrated.file_error
    assert problem["code"] == "legacy" and {k: problem[k] for k in row} == row
    assert (error["missing"], error["headers"]) == (["total_gross"], ["Summe"])
    with translation.override("de"):
        assert file_problem(problem) == (
            "Zeile 4, Spalte „Bereits bezahlt“, Wert „19,99,1“: Zeile 4: keine Zahl"
        )
        assert file_problem(error) == "Der Datei fehlen Pflichtspalten"
    with translation.override("en"):
        assert file_problem(error) == "The file lacks required columns"
