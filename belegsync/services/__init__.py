"""What a merchant can do, as plain functions: the one place behind every interface.

The web views, the CLI and the REST API call these and only translate their
own input and output (HTTP, arguments, JSON). Every function takes the acting
:class:`Actor` first, so who may do what is decided here, once, and every
change it makes is recorded with who made it.

- :mod:`.documents`: reset, mark as manually imported, re-upload (one or many);
- :mod:`.connections`: sync now, the connection's and the organisation's switches;
- :mod:`.imports`: uploads that become import jobs;
- :mod:`.exports`: manual exports (DATEV, CSV, ZIP of PDFs) and their jobs.
"""

from __future__ import annotations

from .actor import Actor

__all__ = ["Actor"]
