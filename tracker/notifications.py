"""Who hears about a change in the app, and their notifications.

A person follows an initiative (`tracker.following`) when their organisation proposed it or
holds a role on it (the one a role was just released by too), unless they chose to stop
watching it; when they chose to watch it; or when they follow its whole board or its Grand
Challenge (envoys and admins). Every event on an initiative, written by someone else, becomes
one notification for each follower who is active in an active organisation (`fan_out`, in the
event's own transaction, one INSERT … SELECT per event), and is pushed to their open pages
after the commit (`push`: the unread count to the Socket.IO room `user:<id>`, which only that
person's sockets join, at connect).

Every active account may see every board (`policy`: "view"), so following needs no further
check; a disabled person or organisation hears nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tracker.errors import NotFound
from tracker.extensions import db, socketio
from tracker.models import (
    BoardFollow,
    Claim,
    Event,
    GrandChallenge,
    Initiative,
    Notification,
    Organisation,
    Stage,
    User,
    Watch,
    utcnow,
)
from tracker.operations import Change
from tracker.vocabulary import (
    INTEREST_CLOSED,
    INTEREST_DECLINED,
    INTEREST_INVITED,
    INTEREST_REGISTERED,
    ROLE_CLAIMED,
    ROLE_RELEASED,
    ROLE_REQUEST_DECLINED,
    ROLE_REQUEST_WITHDRAWN,
    ROLE_REQUESTED,
)

# Events addressed to an organisation (`data["organisation_id"]`): its active members hear of
# them whether or not they follow the initiative (a role given or taken back, a request or an
# interest of theirs decided).
ADDRESSED = frozenset(
    {
        ROLE_CLAIMED,
        ROLE_RELEASED,
        ROLE_REQUESTED,
        ROLE_REQUEST_DECLINED,
        ROLE_REQUEST_WITHDRAWN,
        INTEREST_REGISTERED,
        INTEREST_INVITED,
        INTEREST_DECLINED,
        INTEREST_CLOSED,
    }
)
FOLLOWING = "following"
MENTION = "mention"
PAGE_SIZE = 50


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


# --- following ----------------------------------------------------------------------------


def _insert() -> Any:
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(Notification)


@dataclass
class FanOut:
    reached: set[int]  # everyone who got a notification
    mentioned: dict[int, set[int]]  # per event id, the people it named (mention mails)


def fan_out(events: Sequence[Event]) -> FanOut:
    """Add the notifications of `events` (flushed, not yet committed) for everyone following
    their initiatives, or named in them, but the person who made the change."""
    u, w, f = User.__table__.c, Watch.__table__.c, BoardFollow.__table__.c
    reached: set[int] = set()
    mentioned: dict[int, set[int]] = {}
    now = utcnow()
    for event in events:
        if event.initiative_id is None or event.id is None:
            continue
        named = _mentioned(event, now)
        if named:
            mentioned[event.id] = named
        reached.update(named)
        initiative = Initiative.__table__.c
        proposer = (
            sa.select(initiative.proposing_organisation_id)
            .where(initiative.id == event.initiative_id)
            .scalar_subquery()
        )
        lane = (
            sa.select(initiative.grand_challenge_id)
            .where(initiative.id == event.initiative_id)
            .scalar_subquery()
        )
        holders = sa.select(Claim.organisation_id).where(Claim.initiative_id == event.initiative_id)
        organisations = [u.organisation_id == proposer, u.organisation_id.in_(holders)]
        if event.type in ADDRESSED and event.data.get("organisation_id"):
            organisations.append(u.organisation_id == int(event.data["organisation_id"]))
        mine = sa.and_(w.user_id == u.id, w.initiative_id == event.initiative_id)
        chosen = sa.or_(
            sa.and_(sa.or_(*organisations), ~sa.exists().where(mine, w.watching.is_(False))),
            sa.exists().where(mine, w.watching.is_(True)),
            sa.exists().where(
                f.user_id == u.id,
                f.board_id == event.board_id,
                sa.or_(f.grand_challenge_id.is_(None), f.grand_challenge_id == lane),
            ),
        )
        reached.update(_notify(event, FOLLOWING, chosen, now))
    return FanOut(reached, mentioned)


def _mentioned(event: Event, now: datetime) -> set[int]:
    """The people a note names, and the active members of the organisations it names (but
    its author), notified whether or not they follow the initiative: written before the
    followers' rows, so a follower who is named hears "mention"."""
    named = (event.data or {}).get("mentions") or {}
    users, orgs = named.get("users") or [], named.get("organisations") or []
    if not users and not orgs:
        return set()
    u = User.__table__.c
    return _notify(event, MENTION, sa.or_(u.id.in_(users), u.organisation_id.in_(orgs)), now)


def _notify(event: Event, reason: str, chosen: Any, now: datetime) -> set[int]:
    """One INSERT … SELECT: a notification of `event` for each active person of an active
    organisation whom `chosen` (a condition on users) picks, but its author; a person who
    already has one for the event keeps it. Returns who got one."""
    u = User.__table__.c
    people = (
        sa.select(
            u.id,
            sa.literal(event.id),
            sa.literal(reason),
            sa.literal(now, Notification.__table__.c.created_at.type),
        )
        .join(Organisation, Organisation.id == u.organisation_id)
        .where(u.active.is_(True), Organisation.active.is_(True), chosen)
        .where(u.id != (event.actor_user_id or 0))
    )
    statement = (
        _insert()
        .from_select(["user_id", "event_id", "reason", "created_at"], people)
        .on_conflict_do_nothing(index_elements=["user_id", "event_id"])
        .returning(Notification.user_id)
    )
    return set(db.session.scalars(statement))


def push(user_ids: set[int]) -> None:
    """After the commit: each person's unread count to their own room (their open pages)."""
    if not user_ids:
        return
    for user_id, unread in unread_counts(user_ids).items():
        socketio.emit("notifications", {"unread": unread}, to=user_room(user_id))


def init_app(app: Any) -> None:
    """Have every commit of events notify their followers (`unit_of_work`)."""
    from tracker import unit_of_work

    def before_commit(events: Sequence[Event]) -> Any:
        # Imported here: the notifications need none of the mail (and mail imports them).
        from tracker.mail import mention

        done = fan_out(events)
        for event in events:
            if event.id in done.mentioned:
                mention.queue(event, done.mentioned[event.id])
        return lambda: push(done.reached)

    unit_of_work.set_notifier(app, before_commit)


# --- reading and marking ------------------------------------------------------------------


def sentence_names() -> dict[str, dict[int, str]]:
    """Stage and Grand Challenge names by id, every board's: what the history's sentences
    (`web.history.describe`) name besides what the events carry."""
    return {
        "stages": dict(db.session.execute(sa.select(Stage.id, Stage.name)).all()),
        "grand_challenges": dict(
            db.session.execute(sa.select(GrandChallenge.id, GrandChallenge.name)).all()
        ),
    }


def unread_counts(user_ids: set[int]) -> dict[int, int]:
    """Each person's unread notifications (0 included): one grouped query."""
    counts = dict.fromkeys(user_ids, 0)
    rows = db.session.execute(
        sa.select(Notification.user_id, sa.func.count())
        .where(Notification.user_id.in_(user_ids), Notification.read_at.is_(None))
        .group_by(Notification.user_id)
    )
    counts.update({user_id: count for user_id, count in rows})
    return counts


def unread_count(user_id: int) -> int:
    return unread_counts({user_id})[user_id]


@dataclass(frozen=True)
class Entry:
    """A notification as a list shows it (the sentence is made by the page: `describe`)."""

    id: int
    reason: str
    read: bool
    at: datetime
    event: Event
    initiative_title: str
    board_id: int


def entries(user_id: int, *, unread_only: bool = False, page: int = 1) -> list[Entry]:
    """A person's notifications, newest first, `PAGE_SIZE` a page: one query."""
    query = (
        sa.select(Notification, Event, Initiative.title)
        .join(Event, Event.id == Notification.event_id)
        .join(Initiative, Initiative.id == Event.initiative_id)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return [
        Entry(
            id=n.id,
            reason=n.reason,
            read=n.read_at is not None,
            at=n.created_at,
            event=event,
            initiative_title=title,
            board_id=event.board_id,
        )
        for n, event, title in db.session.execute(query)
    ]


def mark_read(actor: User, notification_id: int) -> Change[Notification]:
    """Mark one of the actor's own notifications read (someone else's: not found, as if it
    did not exist)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != actor.id:
        raise NotFound(
            "That notification does not exist.", {"notification_id": "no such notification"}
        )
    if notification.read_at is not None:
        return Change(notification, changed=False)
    notification.read_at = utcnow()
    return Change(notification)


def mark_all_read(actor: User) -> Change[int]:
    """Mark every unread notification of the actor's read; how many there were."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return Change(result.rowcount, changed=bool(result.rowcount))
