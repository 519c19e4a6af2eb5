"""The reason catalogue: stored codes and parameters as text in the reader's language.

Producers (bookkeeping, sources, targets, the engine) store a
:class:`~belegsync.connectors.reasons.Reason`; pages, the month report and
the command line render it here at display time. ``catalogue`` holds every
code's text, ``words`` the names of source values, ``history`` the reasons of
a document's history entries.
"""

from __future__ import annotations

from .render import (
    describe_error,
    field_label,
    file_problem,
    format_param,
    render,
    render_all,
    sentence,
)

__all__ = [
    "describe_error",
    "field_label",
    "file_problem",
    "format_param",
    "render",
    "render_all",
    "sentence",
]
