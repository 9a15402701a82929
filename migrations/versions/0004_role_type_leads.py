"""role types: which one leads

Which role leads an initiative was recognised by the name "Lead"; after a rename the cards
lost their Lead line and the report its lead column. It is now a flag on the role type, at
most one per board. Existing boards keep their lead: the role type named "Lead" (the first
one, if a board had several) is flagged.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("role_types", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_lead", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    role_types = sa.table(
        "role_types",
        sa.column("id", sa.Integer),
        sa.column("board_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("is_lead", sa.Boolean),
    )
    first_lead = (
        sa.select(sa.func.min(role_types.c.id))
        .where(role_types.c.name == "Lead")
        .group_by(role_types.c.board_id)
    )
    op.execute(
        role_types.update().where(role_types.c.id.in_(first_lead)).values(is_lead=True)
    )
    op.create_index(
        "uq_role_types_one_lead_per_board",
        "role_types",
        ["board_id"],
        unique=True,
        sqlite_where=sa.text("is_lead"),
        postgresql_where=sa.text("is_lead"),
    )


def downgrade():
    op.drop_index(
        "uq_role_types_one_lead_per_board",
        table_name="role_types",
        sqlite_where=sa.text("is_lead"),
        postgresql_where=sa.text("is_lead"),
    )
    with op.batch_alter_table("role_types", schema=None) as batch_op:
        batch_op.drop_column("is_lead")
