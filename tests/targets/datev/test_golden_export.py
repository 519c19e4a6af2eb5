"""The EXTF files of a varied set of vouchers, byte for byte as recorded.

The files under ``golden/`` were written by the writer as it stood before its
speed work (main at e9dd04a) from :mod:`.varied`; the speed work must not change a
byte of them, nor which vouchers are left out and why. A deliberate change of the
format records them again with::

    .venv/bin/python -m tests.targets.datev.test_golden_export

and the diff of ``golden/`` is then part of the change, for review.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from belegsync.targets.datev.extf import DatevSettings, ExtfWriter, NotExpressible

from .varied import CREATED, PERIOD, varied_settings, varied_vouchers

GOLDEN = Path(__file__).parent / "golden"


def export(settings: DatevSettings, directory: Path) -> tuple[dict[str, bytes], dict[str, object]]:
    """The files written for the varied set, and each voucher's outcome: its Belegfeld 1
    and number of bookings, or the codes of the reasons it was left out for."""
    writer = ExtfWriter(settings, directory, created_at=CREATED, period=PERIOD)
    outcomes: dict[str, object] = {}
    for voucher in varied_vouchers():
        try:
            added = writer.add(voucher)
        except NotExpressible as error:
            outcomes[voucher.number] = {"left_out": [r.code for r in error.reasons]}
        else:
            outcomes[voucher.number] = {"belegfeld1": added.belegfeld1, "rows": added.rows}
    files = {f.path.name: f.path.read_bytes() for f in writer.finish()}
    outcomes["number_map"] = dict(sorted(writer.number_map.items()))
    return files, outcomes


@pytest.mark.parametrize("name", sorted(varied_settings()))
def test_it_writes_the_varied_set_byte_for_byte_as_recorded(name: str, tmp_path: Path) -> None:
    files, outcomes = export(varied_settings()[name], tmp_path)
    recorded = GOLDEN / name
    assert sorted(files) == sorted(p.name for p in recorded.glob("*.csv"))
    for file_name, content in files.items():
        assert content == (recorded / file_name).read_bytes(), file_name
    assert outcomes == json.loads((recorded / "outcomes.json").read_text(encoding="utf-8"))


def test_the_varied_set_books_and_leaves_out_every_case() -> None:
    """The set is worth comparing: every tax case and option shows in the recorded files."""
    text = b"".join(p.read_bytes() for p in GOLDEN.glob("*/*.csv")).decode("cp1252")
    for field in ('"H"', '"USD"', "1,0834", '"240"', '"AT"', "Fremdwährung", '"Rechnungsnummer"'):
        assert field in text
    codes = {
        code
        for path in GOLDEN.glob("*/outcomes.json")
        for outcome in json.loads(path.read_text(encoding="utf-8")).values()
        for code in (outcome.get("left_out", []) if "left_out" in outcome else [])
    }
    assert codes >= {
        "datev.no_revenue_account",
        "datev.zero_total",
        "datev.foreign_currency",
        "datev.oss_tax_key_missing",
        "datev.number_too_long",
        "datev.debtor_out_of_range",
    }


def record() -> None:
    import tempfile

    for name, settings in varied_settings().items():
        with tempfile.TemporaryDirectory() as directory:
            files, outcomes = export(settings, Path(directory))
        target = GOLDEN / name
        target.mkdir(parents=True, exist_ok=True)
        for old in target.glob("*.csv"):
            old.unlink()
        for file_name, content in files.items():
            (target / file_name).write_bytes(content)
        (target / "outcomes.json").write_text(
            json.dumps(outcomes, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"{target}: {len(files)} files", file=sys.stderr)


if __name__ == "__main__":
    record()
