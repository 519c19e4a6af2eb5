"""Billbee as a source: orders, their invoices and credit notes, PDFs, export tags."""

from .source import BillbeeSource

__all__ = ["BillbeeSource"]
