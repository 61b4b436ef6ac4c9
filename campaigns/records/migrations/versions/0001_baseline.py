"""baseline

The schema of the first release with migrations: every table the models declared then
(migrations/baseline.py, frozen). A database made before migrations is not created here but
brought to it by migrations/legacy.py and stamped at this revision.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""
from __future__ import annotations

from alembic import op

from campaigns.records.migrations import baseline

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # checkfirst=False: on a database that already has these tables this fails rather than
    # stamping it as the baseline with columns missing; `screening db upgrade` brings such a
    # database to the baseline first.
    baseline.metadata().create_all(op.get_bind(), checkfirst=False)


def downgrade() -> None:
    baseline.metadata().drop_all(op.get_bind())
