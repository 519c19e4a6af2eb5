"""A local test double of Afterbuy's XML API and invoice PDFs (see :mod:`.app`)."""

from .app import AfterbuyFake, build

__all__ = ["AfterbuyFake", "build"]
