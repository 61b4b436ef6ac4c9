"""Household lists: reading CSV/XLSX files, checking rows, and importing them."""
