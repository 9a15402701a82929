"""What every table shares: the declarative base (its naming convention, UTC datetimes
that always read back timezone-aware), `utcnow`, and the field limits from the brief."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, registry

# Field limits from the brief, shared by the domain checks, the API schemas and the forms.
TITLE_MAX = 120
SUMMARY_MAX = 2000
NEXT_STEP_MAX = 280
RAG_REASON_MAX = 500
BARRIERS_MAX = 2000
COMMENT_MAX = 5000
NAME_MAX = 200
# An organisation's short name, on board cards' role chips ("NCC" for a county council).
SHORT_NAME_MAX = 16
VIEW_NAME_MAX = 80
# A saved view's filter, as its query string (`tracker.board.filters.PARAMETERS`).
VIEW_QUERY_MAX = 2000
CARD_DENSITIES = ("comfortable", "compact")
# An e-mail address (RFC 5321's limit on a path).
ADDRESS_MAX = 254
DIGESTS = ("daily", "weekly", "off")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores UTC and always reads back timezone-aware, on SQLite (which keeps no zone) too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    # A registry rather than class attributes: Flask-SQLAlchemy subclasses this base.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: sa.JSON()},
    )
