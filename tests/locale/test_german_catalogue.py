"""The German catalogue as a whole: every msgid translated, in one voice (du), and the
committed ``django.mo`` compiled from the ``django.po`` beside it (docs/translations.md).

The page check (tests/web/test_german.py) sees what the pages it renders show; this one
reads every entry of the catalogue, so a text on a page no test renders, a form error
or a reason no shop has yet is held to the same rules.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "belegsync" / "locale" / "de" / "LC_MESSAGES"
PO, MO = LOCALE / "django.po", LOCALE / "django.mo"

#: Formal address. belegsync says du, like the product pages merchants know. German
#: capitalises these words only for the formal "you" (or at a sentence's start, where
#: "Sie"/"Ihre" for "they"/"their" reads formal all the same): rephrase those.
FORMAL = re.compile(r"\b(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b")
#: msgids whose German may keep a capitalised form above (none: rephrasing was always
#: possible); a reason per entry if one is ever needed.
FORMAL_ALLOWED: dict[str, str] = {}


@dataclass
class Entry:
    msgid: str = ""
    context: str = ""
    plural: str = ""
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _string(text: str) -> str:
    return str(ast.literal_eval(text))  # a .po string is a C string, as Python reads it


def entries(path: Path = PO) -> list[Entry]:
    """The catalogue's entries (the header and obsolete ``#~`` entries left out)."""
    found: list[Entry] = []
    current, part = Entry(), ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgctxt ", "msgid ")) and (current.msgid or current.msgstrs):
            found.append(current)
            current = Entry()
        if line.startswith("msgctxt "):
            current.context, part = _string(line[8:]), "context"
        elif line.startswith("msgid_plural "):
            current.plural, part = _string(line[13:]), "plural"
        elif line.startswith("msgid "):
            current.msgid, part, current.line = _string(line[6:]), "msgid", number
        elif line.startswith("msgstr"):
            current.msgstrs.append(_string(line.split(" ", 1)[1]))
            part = "msgstr"
        elif line.startswith('"'):
            text = _string(line)
            if part == "msgstr":
                current.msgstrs[-1] += text
            else:
                setattr(current, part, getattr(current, part) + text)
    found.append(current)
    return [entry for entry in found if entry.msgid]


ENTRIES = entries()


def test_it_reads_the_whole_catalogue():
    """The parser's own check: as many entries as the catalogue has msgids."""
    text = PO.read_text(encoding="utf-8")
    assert len(ENTRIES) == len(re.findall(r"^msgid ", text, re.M)) - 1  # the header
    assert len(ENTRIES) > 500


def test_every_msgid_has_a_german_text():
    untranslated = [
        f"line {e.line}: {e.msgid!r}" for e in ENTRIES if not all(s.strip() for s in e.msgstrs)
    ]
    assert not untranslated, "msgids without German:\n" + "\n".join(untranslated)


def test_no_entry_is_fuzzy():
    """A fuzzy entry is a guess gettext does not use: the page would show English."""
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in ENTRIES if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy entries (check them, then remove the flag):\n" + "\n".join(fuzzy)


def test_every_german_text_says_du():
    formal = [
        f"line {e.line}: {found!r} in {text!r}"
        for e in ENTRIES
        if e.msgid not in FORMAL_ALLOWED
        for text in e.msgstrs
        for found in FORMAL.findall(text)
    ]
    assert not formal, "formal address (say du, or rephrase):\n" + "\n".join(formal)


@pytest.mark.parametrize(
    "text, formal",
    [
        ("Prüfe deine Zugangsdaten.", False),
        ("Billbee hat sie noch nicht erstellt; sie folgt von selbst.", False),
        ("Prüfen Sie Ihre Zugangsdaten.", True),
        ("Sie folgt von selbst.", True),
        ("Wir melden uns bei Ihnen.", True),
        ("Ihr Konto", True),
    ],
)
def test_the_du_rule_tells_formal_from_informal(text, formal):
    assert bool(FORMAL.search(text)) is formal


def test_the_committed_mo_is_compiled_from_the_po():
    """``compilemessages`` was run after the last change of the .po (it is committed)."""
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    catalog = compiled._catalog  # type: ignore[attr-defined]
    stale = []
    for e in ENTRIES:
        key = f"{e.context}\x04{e.msgid}" if e.context else e.msgid
        if e.plural:
            got = [catalog.get((key, n)) for n in range(len(e.msgstrs))]
        else:
            got = [catalog.get(key)]
        if got != e.msgstrs:
            stale.append(f"line {e.line}: {e.msgid!r}")
    assert not stale, "django.mo differs from django.po (run compilemessages):\n" + "\n".join(
        stale[:20]
    )
