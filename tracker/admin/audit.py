"""The audit log: every administrative and account-security action, with who, when and what.

`record` is called by each operation inside its own transaction, so an action and its entry
are committed (or rolled back) together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditEntry, User, utcnow

# Every action the log can hold, with the label the filter shows.
ACTIONS: dict[str, str] = {
    "organisation.created": "Organisation created",
    "organisation.renamed": "Organisation renamed",
    "organisation.short_name_set": "Organisation short name set",
    "organisation.deactivated": "Organisation deactivated",
    "organisation.reactivated": "Organisation reactivated",
    "user.invited": "Person invited",
    "user.changed": "Person's role or organisation changed",
    "user.disabled": "Person disabled",
    "user.enabled": "Person enabled",
    "user.invitation_link_issued": "New invitation link issued",
    "user.reset_link_issued": "Password-reset link issued",
    "board.created": "Board created",
    "board.renamed": "Board renamed",
    "stage.added": "Stage added",
    "stage.changed": "Stage renamed or WIP limit set",
    "stage.moved": "Stage reordered",
    "stage.deleted": "Stage deleted",
    "grand_challenge.added": "Grand Challenge added",
    "grand_challenge.renamed": "Grand Challenge renamed",
    "grand_challenge.moved": "Grand Challenge reordered",
    "grand_challenge.deleted": "Grand Challenge deleted",
    "role_type.added": "Role type added",
    "role_type.changed": "Role type renamed or maximum changed",
    "role_type.moved": "Role type reordered",
    "role_type.deleted": "Role type deleted",
    "report_recipient.added": "Weekly report recipient added",
    "report_recipient.removed": "Weekly report recipient removed",
    "token.created": "API token created",
    "token.revoked": "API token revoked",
    "account.password_set": "Password set from a link",
    "account.signed_out_everywhere": "Signed out everywhere",
}

TARGET_TYPES = {
    "organisation": "Organisation",
    "user": "Person",
    "board": "Board",
    "stage": "Stage",
    "grand_challenge": "Grand Challenge",
    "role_type": "Role type",
    "token": "API token",
}


def record(
    actor: User,
    action: str,
    target_type: str,
    target_id: int | None,
    summary: str,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=utcnow(),
        actor_user_id=actor.id,
        actor_name=f"{actor.name} <{actor.email}>",
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary,
        data=data or {},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class Filters:
    """What the audit log page searches for; empty values match everything."""

    action: str = ""  # an action, or a prefix such as "stage." for every stage action
    actor_id: int | None = None
    target_type: str = ""
    text: str = ""  # contained in the summary or the actor's name
    since: date | None = None  # local dates, inclusive
    until: date | None = None


@dataclass(frozen=True)
class Page:
    """One page of search results, with how many entries and pages there are in all."""

    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def search(filters: Filters, *, zone: ZoneInfo, page: int = 1, per_page: int = 50) -> Page:
    """Entries matching every given filter, newest first, one page of them."""
    query = sa.select(AuditEntry)
    if filters.action:
        if filters.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == filters.action)
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_user_id == filters.actor_id)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.text:
        needle = filters.text.strip()
        query = query.where(
            sa.or_(
                AuditEntry.summary.icontains(needle, autoescape=True),
                AuditEntry.actor_name.icontains(needle, autoescape=True),
            )
        )
    if filters.since is not None:
        query = query.where(AuditEntry.at >= _local_midnight(filters.since, zone))
    if filters.until is not None:
        query = query.where(
            AuditEntry.at < _local_midnight(filters.until + timedelta(days=1), zone)
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = db.session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(entries), total, page, pages)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
