"""The week's changes: which events the report lists, and how it describes each one."""

from __future__ import annotations

from tracker import vocabulary
from tracker.reports.replay import BoardReplay, LoggedEvent
from tracker.reports.shapes import Change
from tracker.reports.week import london

# (change, from, to, detail): the words of one change row.
Described = tuple[str, str, str, str]


def title_before(replay: BoardReplay, event: LoggedEvent) -> str | None:
    """The title of the event's initiative before the event is applied (None: not known yet,
    as for the event that creates it)."""
    return (
        replay.initiatives[event.initiative_id].title
        if event.initiative_id in replay.initiatives
        else None
    )


def change_row(
    event: LoggedEvent,
    replay: BoardReplay,
    title: str | None,
    stage_names: dict[int, str],
) -> Change | None:
    """The row for `event`, read after `replay` has applied it, naming the initiative by
    `title` (its title before the event); None for an event the report does not list (an
    edit of other fields, a note, a reorder within a column)."""
    described = describe(event, stage_names)
    if described is None:
        return None
    card = replay.initiatives.get(event.initiative_id or 0)
    change, before, after, detail = described
    return {
        "at": london(event.at),
        "seq": event.seq,
        "initiative_id": event.initiative_id,
        "initiative": title or (card.title if card else ""),
        "actor": event.actor_name,
        "organisation": event.actor_organisation_name,
        "change": change,
        "from": before,
        "to": after,
        "detail": detail,
    }


def describe(event: LoggedEvent, stage_names: dict[int, str]) -> Described | None:
    """What changed, from what, to what, and the role or reason: stage names for creation and
    moves, RAG codes for a RAG change (with its reason), organisations for roles."""
    data = event.data
    if event.type == vocabulary.INITIATIVE_CREATED:
        return ("created", "", stage_names.get(data["initiative"]["stage_id"], ""), "")
    if event.type == vocabulary.INITIATIVE_MOVED:
        if data["from"]["stage_id"] == data["to"]["stage_id"]:
            return None  # reordering within a column is not a stage move
        return ("moved", data["from"]["stage"], data["to"]["stage"], "")
    # A RAG change is told by its data, not its type: an edit may change the RAG too.
    if "changes" in data and "rag" in data["changes"]:
        rag = data["changes"]["rag"]
        reason = data["changes"].get("rag_reason", {}).get("to", "")
        return ("RAG changed", rag["from"], rag["to"], reason)
    if event.type == vocabulary.ROLE_CLAIMED:
        return ("role claimed", "", data["organisation"], data["role"])
    if event.type == vocabulary.ROLE_RELEASED:
        return ("role released", data["organisation"], "", data["role"])
    if event.type == vocabulary.INITIATIVE_ARCHIVED:
        return ("archived", "", "", "")
    if event.type == vocabulary.INITIATIVE_RESTORED:
        return ("restored", "", "", "")
    return None
