"""How long a cycle's hold on its connection lasts (``BELEGSYNC_CYCLE_LEASE_SECONDS``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def cycle_lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "BELEGSYNC_CYCLE_LEASE_SECONDS", 600))
