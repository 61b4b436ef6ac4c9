"""Mandarin reader tables and properties."""
