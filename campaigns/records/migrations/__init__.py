"""The schema's history as Alembic migrations: the frozen baseline (`baseline`), the revisions
(`versions/`, run by `env.py`), bringing a database made before migrations to the baseline
(`legacy`), and bringing any database to the newest revision (`runner`, used by records/db.py and
`screening db`). Alembic is imported here and in the `db` command only."""
