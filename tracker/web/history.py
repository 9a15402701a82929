"""Events told as sentences, for the history on the initiative page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker import board, vocabulary
from tracker.reports.printable import printable
from tracker.vocabulary import RAG_LABELS, field_list


def describe(envelope: dict[str, Any], names: dict[str, dict[int, str]]) -> str:
    """One sentence for an event; `names` maps stage and Grand Challenge ids to names. Any
    control character the event's text holds is shown as U+FFFD (as in the reports)."""
    return printable(_describe(envelope, names))


def _describe(envelope: dict[str, Any], names: dict[str, dict[int, str]]) -> str:
    data = envelope["data"]
    kind = envelope["type"]
    if kind == board.INITIATIVE_CREATED:
        stage = names["stages"].get(data["initiative"]["stage_id"], "a stage")
        return f"proposed it in {stage}"
    if kind == board.INITIATIVE_MOVED:
        if data["from"]["stage_id"] == data["to"]["stage_id"]:
            return f"reordered it within {data['to']['stage']}"
        return f"moved it from {data['from']['stage']} to {data['to']['stage']}"
    if kind == board.RAG_CHANGED:
        change = data["changes"]["rag"]
        reason = data["changes"].get("rag_reason", {}).get("to", "")
        text = f"changed RAG from {_rag(change['from'])} to {_rag(change['to'])}"
        text = f"{text}: {reason}" if reason else text
        # Other fields saved with the RAG change are named too.
        others = [name for name in data["changes"] if name not in ("rag", "rag_reason")]
        return f"{text}; also edited the {field_list(others)}" if others else text
    if kind == board.INITIATIVE_EDITED:
        return f"edited the {field_list(data['changes'])}"
    if kind == board.ROLE_CLAIMED:
        return _claimed(data)
    if kind in _MATCHING:
        return _MATCHING[kind](data)
    if kind == board.ROLE_RELEASED:
        return f"released {data['organisation']}'s {data['role']} role"
    if kind == board.COMMENT_ADDED:
        return "added a progress note"
    if kind == board.INITIATIVE_ARCHIVED:
        return "archived it"
    if kind == board.INITIATIVE_RESTORED:
        return "restored it from the archive"
    return kind.replace("_", " ")


def _claimed(data: dict[str, Any]) -> str:
    # An approved request and an accepted invitation are the claim they make.
    if "request_id" in data:
        return (
            f"approved {data['organisation']}'s request: "
            f"{data['organisation']} holds {data['role']}"
        )
    if "interest_id" in data:
        return f"accepted the invitation: {data['organisation']} holds {data['role']}"
    return f"claimed {data['role']} for {data['organisation']}"


_MATCHING: dict[str, Callable[[dict[str, Any]], str]] = {
    vocabulary.ROLE_WANTED: lambda d: f"marked {d['role']} wanted: {d['brief']}",
    vocabulary.ROLE_WANTED_WITHDRAWN: lambda d: f"withdrew the call for {d['role']}",
    vocabulary.ROLE_REQUESTED: lambda d: f"asked for {d['role']} for {d['organisation']}",
    vocabulary.ROLE_REQUEST_DECLINED: lambda d: (
        f"declined {d['organisation']}'s request for {d['role']}: {d['reason']}"
    ),
    vocabulary.ROLE_REQUEST_WITHDRAWN: lambda d: (
        f"withdrew {d['organisation']}'s request for {d['role']}"
    ),
    vocabulary.INTEREST_REGISTERED: lambda d: f"registered {d['organisation']}'s interest",
    vocabulary.INTEREST_INVITED: lambda d: f"invited {d['organisation']} to take {d['role']}",
    vocabulary.INTEREST_DECLINED: lambda d: (
        f"declined, for {d['organisation']}, the invitation to take {d['role']}"
    ),
    vocabulary.INTEREST_CLOSED: lambda d: f"closed {d['organisation']}'s interest",
}


def _rag(value: str) -> str:
    return RAG_LABELS.get(value, value).lower()
