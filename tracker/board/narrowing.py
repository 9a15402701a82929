"""Applying a board filter (`filters.CardFilter`) to cards: which of a board's cards, listed
initiatives or replayed initiatives it keeps, judged now or as the history held them at some
moment, with what it needs read (last activity, texts, roles marked wanted) read once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import sqlalchemy as sa

from tracker import text
from tracker.board.filters import CardFilter, Filterable, due_state
from tracker.extensions import db
from tracker.models import Event, Initiative, WantedRole, utcnow
from tracker.reports.week import london
from tracker.reports.weekly import STALE_AFTER_DAYS

if TYPE_CHECKING:
    from tracker.reports.replay import InitiativeState


T = TypeVar("T", bound=Filterable)


def narrowed(board_id: int, rule: CardFilter, items: list[T]) -> list[T]:
    """The `items` (a board's cards or listed initiatives, already live or archived as
    `rule.archived` says) that `rule` keeps, measured now."""
    if not rule.active:
        return items
    now = utcnow()
    match = matcher(board_id, rule, today=london(now).date(), now=now)
    return [item for item in items if match.matches(item)]


def last_activity(board_id: int) -> dict[int, datetime]:
    """When each initiative of a board last changed in any way (its latest event): one query."""
    rows = db.session.execute(
        sa.select(Event.initiative_id, sa.func.max(Event.at))
        .where(Event.board_id == board_id, Event.initiative_id.is_not(None))
        .group_by(Event.initiative_id)
    )
    return {initiative_id: at for initiative_id, at in rows}


def search_texts(board_id: int, archived: bool) -> dict[int, str]:
    """Each initiative's searchable text, folded (`text.folded`): one query."""
    i = Initiative.__table__.c
    rows = db.session.execute(
        sa.select(i.id, i.title, i.summary, i.next_step, i.barriers).where(
            i.board_id == board_id, i.archived.is_(archived)
        )
    )
    return {row[0]: text.folded("\n".join(row[1:])) for row in rows}


@dataclass
class Matcher:
    """`CardFilter` applied to one board's cards at one moment: `matches(card)`."""

    rule: CardFilter
    today: date  # the London day due dates are counted from
    now: datetime  # UTC
    activity: dict[int, datetime] = field(default_factory=dict)
    texts: dict[int, str] = field(default_factory=dict)
    needle: str = ""
    # By initiative id: the role types marked wanted on it (`tracker.board.matching`).
    marked: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rule = self.rule
        # Only the parts the filter uses are asked, in this order (cheap first).
        self._checks: list[Callable[[Filterable], bool]] = [
            check
            for check, used in (
                (self._place, rule.stage_ids or rule.grand_challenge_ids or rule.rags),
                (self._involved, rule.organisation_id is not None or rule.role_type_id),
                (self._wanted, rule.wanted),
                (self._due, rule.due),
                (self._stale, rule.stale),
                (self._text, self.needle),
            )
            if used
        ]

    def matches(self, card: Filterable) -> bool:
        return all(check(card) for check in self._checks)

    def _place(self, card: Filterable) -> bool:
        rule = self.rule
        return (
            (not rule.stage_ids or card.stage_id in rule.stage_ids)
            and (
                not rule.grand_challenge_ids or card.grand_challenge_id in rule.grand_challenge_ids
            )
            and (not rule.rags or card.rag in rule.rags)
        )

    def _involved(self, card: Filterable) -> bool:
        rule = self.rule
        role = rule.role_type_id
        if rule.organisation_id is None:
            return any(c.role_type_id == role for c in card.claims)
        org = rule.organisation_id
        held = [
            c for c in card.claims if c.organisation_id == org and role in (None, c.role_type_id)
        ]
        if role is not None or rule.involvement == "holds":
            return bool(held)
        proposed = card.proposing_organisation_id == org
        return proposed if rule.involvement == "proposed" else proposed or bool(held)

    def _wanted(self, card: Filterable) -> bool:
        """A role asked for is marked wanted on the card, or is exclusive and nobody holds it."""
        rule = self.rule
        if rule.wanted & self.marked.get(card.id, set()):
            return True
        return bool((rule.wanted & rule.exclusive) - {c.role_type_id for c in card.claims})

    def _due(self, card: Filterable) -> bool:
        state = due_state(card.next_step_due, self.today)
        return state == "overdue" if self.rule.due == "overdue" else state is not None

    def _stale(self, card: Filterable) -> bool:
        last = self.activity.get(card.id, card.created_at)
        return last <= self.now - timedelta(days=STALE_AFTER_DAYS)

    def _text(self, card: Filterable) -> bool:
        return self.needle in self.texts.get(card.id, "")


def matcher(board_id: int, rule: CardFilter, *, today: date, now: datetime) -> Matcher:
    """A `Matcher` with what `rule` needs read (at most three more queries: the last activity
    for `stale`, the texts for `q`, the roles marked wanted for `wanted`)."""
    return Matcher(
        rule=rule,
        today=today,
        now=now,
        activity=last_activity(board_id) if rule.stale else {},
        texts=search_texts(board_id, rule.archived) if rule.q else {},
        needle=text.folded(rule.q),
        marked=marked_wanted(board_id) if rule.wanted else {},
    )


def marked_wanted(board_id: int) -> dict[int, set[int]]:
    """By initiative id, the role types marked wanted on a board's initiatives: one query."""
    found: dict[int, set[int]] = {}
    rows = db.session.execute(
        sa.select(WantedRole.initiative_id, WantedRole.role_type_id)
        .join(Initiative, Initiative.id == WantedRole.initiative_id)
        .where(Initiative.board_id == board_id)
    )
    for initiative_id, role_type_id in rows:
        found.setdefault(initiative_id, set()).add(role_type_id)
    return found


class _Replayed(NamedTuple):
    """An initiative as the history held it at some moment, in the shape a `Matcher` reads."""

    id: int
    stage_id: int
    grand_challenge_id: int
    rag: str
    proposing_organisation_id: int
    next_step_due: date | None
    created_at: datetime
    claims: list[Any]


def narrowed_replayed(
    rule: CardFilter, cards: Sequence[InitiativeState], *, day: date, moment: datetime
) -> list[InitiativeState]:
    """The replayed `cards` (the board as it stood at `moment`, the end of the London `day`)
    that `rule` keeps, judged by what the history held then: their texts, roles and last
    activity; due dates counted from `day`."""
    if not rule.active:
        return list(cards)
    match = Matcher(
        rule=rule,
        today=day,
        now=moment,
        activity={card.id: card.last_activity or card.created_at for card in cards},
        texts={
            card.id: text.folded(
                "\n".join((card.title, card.summary, card.next_step, card.barriers))
            )
            for card in cards
        }
        if rule.q
        else {},
        needle=text.folded(rule.q),
        marked={card.id: set(card.wanted) for card in cards},
    )
    return [
        card
        for card in cards
        if match.matches(
            _Replayed(
                card.id,
                card.stage_id,
                card.grand_challenge_id,
                card.rag,
                card.proposing_organisation_id,
                card.next_step_due,
                card.created_at,
                list(card.claims.values()),
            )
        )
    ]
