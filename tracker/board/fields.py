"""What the board operations share: which fields there are, how each input is checked, the
result an operation returns (`Change`) and the snapshot an event records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from tracker import limits, text
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import (
    Event,
    GrandChallenge,
    Initiative,
    Organisation,
    Stage,
)
from tracker.vocabulary import (
    Rag,
)

# Fields that hold paragraphs: tab and line breaks allowed (tracker.text). Every other text
# field is a single line. The page forms use a <textarea> for exactly these.
MULTI_LINE_FIELDS = frozenset({"summary", "rag_reason", "barriers", "body"})

EDITABLE_FIELDS = (
    "title",
    "summary",
    "grand_challenge_id",
    "rag",
    "rag_reason",
    "next_step",
    "next_step_due",
    "barriers",
)

MOVE_FIELDS = ("stage_id", "position", "grand_challenge_id")

T = TypeVar("T")


@dataclass(frozen=True)
class Change(Generic[T]):
    """What an operation changed, and the event that records it (None when nothing changed)."""

    value: T
    event: Event | None


def text_field(value: Any, field: str, *, max_len: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid({field: "must be text"})
    value = text.clean(value, field, multiline=field in MULTI_LINE_FIELDS).strip()
    if required and not value:
        raise Invalid({field: "is required"})
    if len(value) > max_len:
        raise Invalid({field: f"must be at most {max_len} characters (got {len(value)})"})
    return value


def date_field(value: Any, field: str) -> date | None:
    """A date as YYYY-MM-DD (or a `date`), within the years the tracker serves."""
    if value is None or value == "":
        return None
    day: date | None = None
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None:
        raise Invalid({field: "must be a date as YYYY-MM-DD"})
    if not limits.day_in_range(day):
        raise Invalid({field: limits.DAY_RANGE})
    return day


def rag_field(value: Any) -> str:
    if value is None:
        return Rag.NOT_SET.value
    if not isinstance(value, str) or value not in {r.value for r in Rag}:
        raise Invalid({"rag": "must be one of red, amber, green, not_set"})
    return value


def int_field(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({field: "must be an integer"})
    return value


def stage_on(board_id: int, stage_id: Any) -> Stage:
    stage_id = int_field(stage_id, "stage_id")
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.board_id != board_id:
        raise Invalid({"stage_id": "no such stage on this board"})
    return stage


def challenge_on(board_id: int, challenge_id: Any) -> GrandChallenge:
    challenge_id = int_field(challenge_id, "grand_challenge_id")
    challenge = db.session.get(GrandChallenge, challenge_id)
    if challenge is None or challenge.board_id != board_id:
        raise Invalid({"grand_challenge_id": "no such Grand Challenge on this board"})
    return challenge


def organisation_field(organisation_id: Any, field: str = "organisation_id") -> Organisation:
    organisation_id = int_field(organisation_id, field)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise Invalid({field: "no such organisation"})
    if not organisation.active:
        raise Invalid({field: "this organisation is deactivated"})
    return organisation


def json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def snapshot(initiative: Initiative) -> dict[str, Any]:
    """The initiative's fields as plain JSON, as recorded in its `initiative_created` event."""
    return {
        "id": initiative.id,
        "title": initiative.title,
        "summary": initiative.summary,
        "grand_challenge_id": initiative.grand_challenge_id,
        "stage_id": initiative.stage_id,
        "position": initiative.position,
        "rag": initiative.rag,
        "rag_reason": initiative.rag_reason,
        "next_step": initiative.next_step,
        "next_step_due": json_value(initiative.next_step_due),
        "barriers": initiative.barriers,
        "proposing_organisation_id": initiative.proposing_organisation_id,
        "archived": initiative.archived,
        "version": initiative.version,
    }
