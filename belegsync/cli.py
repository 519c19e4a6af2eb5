"""The ``belegsync`` command: Django's management commands under one name.

``belegsync run``, ``worker``, ``scheduler``, ``demo``, ``fake``, ``preview`` …
live as management commands in the apps; this entry point only sets the
settings module and turns a configuration error into one clear line.
"""

from __future__ import annotations

import os
import sys

#: sysexits.h: "temporary failure, try again later" (the database is locked or full …).
EX_TEMPFAIL = 75


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "belegsync.settings")
    from belegsync.config import ConfigurationError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["belegsync", *(sys.argv[1:] if argv is None else argv)])
    except ConfigurationError as error:
        print(f"belegsync: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as error:
        from belegsync.lib.outage import LINES, outage_of

        outage = outage_of(error)
        if outage is None:
            raise
        print(f"belegsync: {LINES[outage]}", file=sys.stderr)
        raise SystemExit(EX_TEMPFAIL) from None


if __name__ == "__main__":
    main()
