"""Records: the tables, the engine and sessions, and one data module per table or aggregate."""
