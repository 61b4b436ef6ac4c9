"""help_requests

One row per press of the resident page's "I need help" button, with its category (medicine, food,
medical care, other), beside the help-request case it joins.

Revision ID: 0003_help_requests
Revises: 0002
Create Date: 2026-12-02
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = "0003_help_requests"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made before migrations by a version that already had the table keeps it.
    if sa.inspect(op.get_bind()).has_table("help_requests"):
        return
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalations.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_help_requests_escalation_id", "help_requests", ["escalation_id"])
    op.create_index("ix_help_requests_household_id", "help_requests", ["household_id"])
    op.create_index("ix_help_requests_created_at", "help_requests", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_help_requests_created_at", table_name="help_requests")
    op.drop_index("ix_help_requests_household_id", table_name="help_requests")
    op.drop_index("ix_help_requests_escalation_id", table_name="help_requests")
    op.drop_table("help_requests")
