"""board preferences, saved views and short organisation names

Each user's card density and collapsed swimlanes (remembered on every device), named board
views (a filter's query string), and an organisation's short name for board cards. Nothing
existing changes: every user starts comfortable with every swimlane open, every organisation
without a short name (cards show its name until an admin sets one).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("short_name", sa.String(length=16), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "card_density",
                sa.String(length=16),
                server_default="comfortable",
                nullable=False,
            )
        )
    op.create_table(
        "collapsed_swimlanes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("grand_challenge_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grand_challenge_id"],
            ["grand_challenges.id"],
            name=op.f("fk_collapsed_swimlanes_grand_challenge_id_grand_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_collapsed_swimlanes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "grand_challenge_id", name=op.f("pk_collapsed_swimlanes")),
    )
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_saved_views_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_views_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint(
            "user_id", "board_id", "name", name=op.f("uq_saved_views_user_id_board_id_name")
        ),
    )
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_views_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_views_user_id"))
    op.drop_table("saved_views")
    op.drop_table("collapsed_swimlanes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("card_density")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("short_name")
