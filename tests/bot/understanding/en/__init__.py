"""English reader tables and properties."""
