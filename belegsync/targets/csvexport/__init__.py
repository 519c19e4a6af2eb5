"""File exports of vouchers besides DATEV: plain and Excel-friendly CSV, a ZIP of PDFs."""
