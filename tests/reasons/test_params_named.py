"""Every reason the code makes gives the parameters its text names.

A text that names ``%(error)s`` rendered for a reason made with ``{"why": …}`` shows the
merchant "Something went wrong (code …)" instead of what to do (the DATEV month file's
left-out reason did). This reads the package's source: each ``Reason("code", {…})`` and
each call with ``code="…"`` and literal parameters (``params={…}`` or keywords, as the
connector errors and DATEV's refusals take them) must give every placeholder of the
code's text; ``field`` and ``line`` come from where the reason points.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from belegsync.reasons import catalogue

PACKAGE = Path(__file__).resolve().parents[2] / "belegsync"
PLACEHOLDER = re.compile(r"%\((\w+)\)")
#: Filled in by the renderer, not by whoever makes the reason.
FROM_RENDERER = {"field", "line"}
#: Keywords of the error classes that are not parameters of the text.
NOT_PARAMETERS = {"code", "reasons", "raw", "field", "status", "retry_after", "remote"}


def _literal_keys(node: ast.expr) -> set[str] | None:
    if not isinstance(node, ast.Dict) or not all(isinstance(k, ast.Constant) for k in node.keys):
        return None
    return {str(k.value) for k in node.keys if isinstance(k, ast.Constant)}


def made_reasons(source: str) -> Iterator[tuple[int, str, set[str]]]:
    """(line, code, parameter names) of each reason made with literal parameters."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or any(k.arg is None for k in node.keywords):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        first = node.args[0] if node.args else None
        if name == "Reason" and isinstance(first, ast.Constant) and isinstance(first.value, str):
            given = node.args[1] if len(node.args) > 1 else keywords.get("params")
            keys = set() if given is None else _literal_keys(given)
            if keys is not None:
                yield node.lineno, first.value, keys
            continue
        code = keywords.get("code")
        if isinstance(code, ast.Constant) and isinstance(code.value, str):
            keys = set(keywords) - NOT_PARAMETERS
            if "params" in keywords:
                literal = _literal_keys(keywords["params"])
                if literal is None:
                    continue
                keys = (keys - {"params"}) | literal
            yield node.lineno, code.value, keys


def missing_parameters(source: str) -> list[str]:
    problems = []
    for line, code, keys in made_reasons(source):
        text = catalogue.TEXTS.get(code)
        if text is None:
            continue  # tests/reasons/test_catalogue.py holds every code to a text
        lacking = set(PLACEHOLDER.findall(str(text))) - FROM_RENDERER - keys
        if lacking:
            problems.append(f"line {line}: {code} lacks {sorted(lacking)} (gives {sorted(keys)})")
    return problems


def test_every_reason_made_gives_what_its_text_names():
    problems, checked = [], 0
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        checked += sum(1 for _ in made_reasons(source))
        found = missing_parameters(source)
        problems += [f"{path.relative_to(PACKAGE)} {problem}" for problem in found]
    assert checked > 80, f"only {checked} reasons found: the reading of the source broke"
    assert not problems, "\n".join(problems)


def test_it_finds_a_parameter_the_text_does_not_name():
    """The DATEV bug as it was: the text names %(error)s, the reason gave 'why'."""
    before = 'left_out[key] = Reason("datev.not_expressible", {"why": str(reason)})'
    assert missing_parameters(before) == [
        "line 1: datev.not_expressible lacks ['error'] (gives ['why'])"
    ]
    keyword = 'raise NotExpressible("…", code="datev.foreign_currency")'
    assert missing_parameters(keyword) and "currency" in missing_parameters(keyword)[0]
