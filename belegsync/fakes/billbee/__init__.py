"""A local test double of Billbee's REST API v1 (see :mod:`.app`)."""

from .app import BillbeeFake, build

__all__ = ["BillbeeFake", "build"]
