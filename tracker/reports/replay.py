"""The board as it was: replaying the event log.

The log is the single source: a state rebuilt from it at any moment equals what the live
tables held then. Cell order is rebuilt with the same rules the domain operations use
(append on create, insert at `to.position` on move, leave the cell on archive).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, NamedTuple

import sqlalchemy as sa

from tracker import vocabulary
from tracker.extensions import db
from tracker.models import Event
from tracker.reports.printable import printable
from tracker.serving import cooperate


@dataclass
class ClaimState:
    claim_id: int
    role_type_id: int
    role: str
    organisation_id: int
    organisation: str
    claimed_at: datetime


@dataclass
class WantedState:
    """A role marked wanted (issue 15), with its brief and since when."""

    role_type_id: int
    role: str
    brief: str
    since: datetime


@dataclass
class RequestState:
    """An open request for a by-request role (issue 15)."""

    request_id: int
    role_type_id: int
    role: str
    organisation_id: int
    organisation: str
    since: datetime


@dataclass
class InitiativeState:
    id: int
    title: str
    summary: str
    grand_challenge_id: int
    stage_id: int
    rag: str
    rag_reason: str
    next_step: str
    next_step_due: date | None
    barriers: str
    proposing_organisation_id: int
    archived: bool
    version: int
    created_at: datetime
    updated_at: datetime
    stage_entered_at: datetime
    position: int = 0
    # Any event on the initiative counts as activity (a claim, a note, an edit …).
    last_activity: datetime | None = None
    claims: dict[int, ClaimState] = field(default_factory=dict)
    # By role type id: the roles wanted; by request id: the requests still open.
    wanted: dict[int, WantedState] = field(default_factory=dict)
    requests: dict[int, RequestState] = field(default_factory=dict)
    comments: int = 0
    # (stage_id, entered, left or None): every stint in a stage, for time-in-stage.
    stints: list[tuple[int, datetime, datetime | None]] = field(default_factory=list)

    @classmethod
    def created(cls, event: LoggedEvent) -> InitiativeState:
        """The initiative as its creation event describes it (`data["initiative"]`: the row's
        fields), in its first stage since the event."""
        snap = event.data["initiative"]
        return cls(
            id=snap["id"],
            title=snap["title"],
            summary=snap["summary"],
            grand_challenge_id=snap["grand_challenge_id"],
            stage_id=snap["stage_id"],
            rag=snap["rag"],
            rag_reason=snap["rag_reason"],
            next_step=snap["next_step"],
            next_step_due=_due(snap["next_step_due"]),
            barriers=snap["barriers"],
            proposing_organisation_id=snap["proposing_organisation_id"],
            archived=snap["archived"],
            version=snap["version"],
            created_at=event.at,
            updated_at=event.at,
            stage_entered_at=event.at,
            stints=[(snap["stage_id"], event.at, None)],
            last_activity=event.at,
        )


class LoggedEvent(NamedTuple):
    """An event row, read without the ORM (a report may replay 100,000 of them)."""

    seq: int
    type: str
    initiative_id: int | None
    at: datetime
    actor_name: str
    actor_organisation_name: str
    data: dict[str, Any]


# Events replayed between two chances for other greenlets to run (a few milliseconds' work).
COOPERATE_EVERY = 500


def load_events(board_id: int, *, before: datetime | None = None) -> Iterator[LoggedEvent]:
    query = (
        sa.select(
            Event.seq,
            Event.type,
            Event.initiative_id,
            Event.at,
            Event.actor_name,
            Event.actor_organisation_name,
            Event.data,
        )
        .where(Event.board_id == board_id)
        .order_by(Event.seq)
    )
    if before is not None:
        query = query.where(Event.at < before)
    # Core, not the ORM: a report may read 100,000 rows and the ORM's bookkeeping per row
    # would cost more than the replay itself.
    # (The option goes on the statement: on the connection it would stick to later statements.)
    result = db.session.connection().execute(query.execution_options(yield_per=5000))
    for n, row in enumerate(result, 1):
        if n % COOPERATE_EVERY == 0:
            # A report replays up to 100,000 events: under gevent, let the open sockets be
            # served between batches rather than stall them (and the worker's heartbeat).
            cooperate()
        yield LoggedEvent(*row)


def _due(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


class BoardReplay:
    """Applies events one by one; `initiatives` is the board after the last one applied."""

    def __init__(self) -> None:
        self.initiatives: dict[int, InitiativeState] = {}
        self.cells: dict[tuple[int, int], list[int]] = {}
        self.last_seq = 0
        self.last_at: datetime | None = None

    # -- cells ----------------------------------------------------------------------------

    def _cell(self, card: InitiativeState) -> list[int]:
        return self.cells.setdefault((card.stage_id, card.grand_challenge_id), [])

    def _leave_cell(self, card: InitiativeState) -> None:
        cell = self._cell(card)
        if card.id in cell:
            cell.remove(card.id)

    def number_positions(self) -> None:
        """Set each live card's `position` from its cell (done once, not per event: cells
        can be long and a report replays many events)."""
        for cell in self.cells.values():
            for index, card_id in enumerate(cell):
                self.initiatives[card_id].position = index

    # -- events ---------------------------------------------------------------------------

    def apply(self, event: LoggedEvent) -> None:
        self.last_seq = event.seq
        self.last_at = event.at
        if event.type == vocabulary.INITIATIVE_CREATED:
            self._created(event)
            return
        card = self.initiatives.get(event.initiative_id or 0)
        if card is None:
            return
        card.last_activity = event.at
        handler = self._HANDLERS.get(event.type)
        if handler is not None:
            handler(self, card, event)

    def _created(self, event: LoggedEvent) -> None:
        card = InitiativeState.created(event)
        self.initiatives[card.id] = card
        self._cell(card).append(card.id)

    def _edited(self, card: InitiativeState, event: LoggedEvent) -> None:
        """An edit or a RAG change: `data["changes"]` maps each field to its from/to."""
        changes = event.data["changes"]
        if "grand_challenge_id" in changes:
            self._leave_cell(card)
        for name, change in changes.items():
            value = change["to"]
            setattr(card, name, _due(value) if name == "next_step_due" else value)
        if "grand_challenge_id" in changes and not card.archived:
            self._cell(card).append(card.id)
        self._versioned(card, event)

    def _moved(self, card: InitiativeState, event: LoggedEvent) -> None:
        self._leave_cell(card)
        to = event.data["to"]
        if to["stage_id"] != card.stage_id:
            self._end_stint(card, event.at)
            card.stints.append((to["stage_id"], event.at, None))
            card.stage_entered_at = event.at
        card.stage_id = to["stage_id"]
        card.grand_challenge_id = to["grand_challenge_id"]
        cell = self._cell(card)
        cell.insert(min(to["position"], len(cell)), card.id)
        self._versioned(card, event)

    def _archived(self, card: InitiativeState, event: LoggedEvent) -> None:
        self._leave_cell(card)
        self._end_stint(card, event.at)  # archived time is nobody's time in a stage
        card.archived = True
        self._versioned(card, event)

    def _restored(self, card: InitiativeState, event: LoggedEvent) -> None:
        card.stints.append((card.stage_id, event.at, None))
        card.archived = False
        self._cell(card).append(card.id)
        self._versioned(card, event)

    def _claimed(self, card: InitiativeState, event: LoggedEvent) -> None:
        data = event.data
        card.claims[data["claim_id"]] = ClaimState(
            claim_id=data["claim_id"],
            role_type_id=data["role_type_id"],
            role=data["role"],
            organisation_id=data["organisation_id"],
            organisation=data["organisation"],
            claimed_at=event.at,
        )
        # A claim fills the role if it was wanted, and decides the request it approves.
        if "wanted" in data:
            card.wanted.pop(data["role_type_id"], None)
        card.requests.pop(data.get("request_id", 0), None)

    def _wanted(self, card: InitiativeState, event: LoggedEvent) -> None:
        data = event.data
        card.wanted[data["role_type_id"]] = WantedState(
            data["role_type_id"], data["role"], data["brief"], event.at
        )

    def _no_longer_wanted(self, card: InitiativeState, event: LoggedEvent) -> None:
        card.wanted.pop(event.data["role_type_id"], None)

    def _requested(self, card: InitiativeState, event: LoggedEvent) -> None:
        data = event.data
        card.requests[data["request_id"]] = RequestState(
            data["request_id"],
            data["role_type_id"],
            data["role"],
            data["organisation_id"],
            data["organisation"],
            event.at,
        )

    def _request_closed(self, card: InitiativeState, event: LoggedEvent) -> None:
        card.requests.pop(event.data["request_id"], None)

    def _released(self, card: InitiativeState, event: LoggedEvent) -> None:
        card.claims.pop(event.data["claim_id"], None)

    def _commented(self, card: InitiativeState, event: LoggedEvent) -> None:
        card.comments += 1

    @staticmethod
    def _versioned(card: InitiativeState, event: LoggedEvent) -> None:
        """Every change to the card's own fields carries its new version."""
        card.version = event.data["version"]
        card.updated_at = event.at

    # What each event type does to an existing initiative; a type not listed (a future one)
    # only counts as activity.
    _HANDLERS: ClassVar[dict[str, Callable[[BoardReplay, InitiativeState, LoggedEvent], None]]] = {
        vocabulary.INITIATIVE_EDITED: _edited,
        vocabulary.RAG_CHANGED: _edited,
        vocabulary.INITIATIVE_MOVED: _moved,
        vocabulary.INITIATIVE_ARCHIVED: _archived,
        vocabulary.INITIATIVE_RESTORED: _restored,
        vocabulary.ROLE_CLAIMED: _claimed,
        vocabulary.ROLE_RELEASED: _released,
        vocabulary.COMMENT_ADDED: _commented,
        vocabulary.ROLE_WANTED: _wanted,
        vocabulary.ROLE_WANTED_WITHDRAWN: _no_longer_wanted,
        vocabulary.ROLE_REQUESTED: _requested,
        vocabulary.ROLE_REQUEST_DECLINED: _request_closed,
        vocabulary.ROLE_REQUEST_WITHDRAWN: _request_closed,
    }

    @staticmethod
    def _end_stint(card: InitiativeState, at: datetime) -> None:
        stage_id, entered, _ = card.stints[-1]
        card.stints[-1] = (stage_id, entered, at)

    def apply_all(self, events: Iterable[LoggedEvent]) -> BoardReplay:
        for event in events:
            self.apply(event)
        return self

    def live(self) -> list[InitiativeState]:
        """Initiatives not archived, in board order."""
        self.number_positions()
        return sorted(
            (c for c in self.initiatives.values() if not c.archived),
            key=lambda c: (c.stage_id, c.grand_challenge_id, c.position, c.id),
        )


def board_at(board_id: int, moment: datetime) -> BoardReplay:
    """The board as it stood just before `moment`, its text printable (events written before
    the entry points refused control characters may hold them; a page must still render)."""
    replay = BoardReplay().apply_all(load_events(board_id, before=moment))
    replay.number_positions()
    for card in replay.initiatives.values():
        for item in (card, *card.claims.values(), *card.wanted.values(), *card.requests.values()):
            for name, value in vars(item).items():
                if isinstance(value, str):
                    setattr(item, name, printable(value))
    return replay
