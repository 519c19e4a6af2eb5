"""DATEV-Format (EXTF) export: the Buchungsstapel writer and its validator.

A file target, not an API: belegsync writes ``EXTF_Buchungsstapel_*.csv`` for the
merchant's tax advisor (docs/connectors/datev.md).
"""
