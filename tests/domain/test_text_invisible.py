"""Text that reorders or hides itself, at every entry point: bidirectional embeddings,
overrides and isolates are refused naming the field (they made a saved view's confirmation
read "Saved the view “Mine.”ylno deR"), and a required field made only of invisible
characters (a zero-width space) is "is required", as one of spaces is. Older events that
hold such characters still export and render without them reordering a report.

The walks (every operation, every API text field, every form input) are the text rule's own,
from `test_text_rule`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.test_permissions import World, assert_error_shape
from tests.domain.test_text_rule import (
    API_ENDPOINTS,
    API_TEXT_FIELDS,
    DOMAIN_TEXT,
    TEXT_CASES,
    Entry,
    _api_send,
    _flashed_error,
    _send_form,
    _signed_in,
    snapshot,
    spoil,
    world,  # noqa: F401 (the fixture)
)
from tracker import text
from tracker.board import add_comment
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.reports.printable import REPLACEMENT, printable

BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
REORDERING = "\u202e"  # RIGHT-TO-LEFT OVERRIDE, the one the trial used
INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u00ad", "\u200b \u200b\u00a0"]


@pytest.mark.parametrize("code", BIDI, ids=[f"U+{c:04X}" for c in BIDI])
def test_text_rule_refuses_each_bidirectional_formatting_character(code: int) -> None:
    for multiline in (False, True):
        assert text.problem(f"ab{chr(code)}c", multiline=multiline) == (
            "must not contain bidirectional formatting characters, which reorder the text "
            f"around them (found U+{code:04X} at character 3)"
        )


def test_text_rule_keeps_the_marks_right_to_left_text_needs() -> None:
    for mark in ("\u200e", "\u200f", "\u061c"):
        value = f"שלום{mark} (Partner)"
        assert text.clean(value, "title") == value


@pytest.mark.parametrize("value", INVISIBLE, ids=[repr(v) for v in INVISIBLE])
def test_nothing_visible_is_not_text(value: str) -> None:
    assert not text.visible(value)
    assert text.visible(value + "a")
    assert text.visible("日本")


@pytest.mark.parametrize(("field", "operation"), DOMAIN_TEXT)
def test_every_operation_refuses_a_reordering_character_naming_the_field(
    world: World,  # noqa: F811
    field: str,
    operation: Callable[[World, str], Any],
) -> None:
    before = snapshot(world.board.id)
    with pytest.raises(Invalid) as refused:
        operation(world, "Mine" + REORDERING + " Red only")
    db.session.rollback()
    assert "bidirectional formatting" in refused.value.fields[field]
    assert snapshot(world.board.id) == before


REQUIRED = [case for case in DOMAIN_TEXT if case.values[0] in ("title", "body", "name")]


@pytest.mark.parametrize("value", INVISIBLE, ids=[repr(v) for v in INVISIBLE])
@pytest.mark.parametrize(("field", "operation"), REQUIRED)
def test_a_required_field_of_only_invisible_characters_is_required(
    world: World,  # noqa: F811
    field: str,
    operation: Callable[[World, str], Any],
    value: str,
) -> None:
    before = snapshot(world.board.id)
    with pytest.raises(Invalid) as refused:
        operation(world, value)
    db.session.rollback()
    assert refused.value.fields == {field: "is required"}
    assert snapshot(world.board.id) == before


def test_a_rag_status_needs_a_visible_reason(world: World) -> None:  # noqa: F811
    from tracker.board import edit

    with pytest.raises(Invalid) as refused:
        edit(world.users["envoy"], world.foreign, world.version(world.foreign),
             {"rag": "red", "rag_reason": "\u200b"})  # fmt: skip
    db.session.rollback()
    assert "rag_reason" in refused.value.fields


def test_a_short_name_must_show_something(world: World) -> None:  # noqa: F811
    from tracker.admin import organisations

    with pytest.raises(Invalid) as refused:
        organisations.set_short_name(world.users["admin"], world.lep, "\u200b")
    db.session.rollback()
    assert refused.value.fields == {"short_name": "must show something (leave it empty for none)"}


@pytest.mark.parametrize(
    ("view", "location", "field"), API_TEXT_FIELDS, ids=[f"{v}-{f}" for v, _, f in API_TEXT_FIELDS]
)
def test_api_refuses_a_reordering_character_in_every_text_field_and_writes_nothing(
    client: FlaskClient,
    world: World,  # noqa: F811
    view: str,
    location: str,
    field: str,
) -> None:
    body = API_ENDPOINTS[view][2](world)
    body[field] = spoil(str(body.get(field, "")), REORDERING)
    before = snapshot(world.board.id)
    response = _api_send(client, world, view, location, body)
    error = assert_error_shape(response, 422)
    assert error["fields"][field], error
    assert snapshot(world.board.id) == before


@pytest.mark.parametrize(("entry", "field", "multiline"), TEXT_CASES)
def test_forms_refuse_a_reordering_character_in_every_text_input_naming_it(
    client: FlaskClient,
    world: World,  # noqa: F811
    entry: Entry,
    field: str,
    multiline: bool,
) -> None:
    token = _signed_in(client, world, entry.role)
    data = entry.valid(world)
    data[field] = spoil(data.get(field, ""), REORDERING)
    before = snapshot(world.board.id)
    response = _send_form(client, world, entry, data, token)
    assert snapshot(world.board.id) == before
    if entry.answer == "flash":
        assert "bidirectional formatting" in _flashed_error(client, response)
        return
    assert response.status_code == (200 if entry.name == "login" else 422)
    assert "bidirectional formatting" in response.get_data(as_text=True)


def test_reports_and_history_show_an_old_reordering_character_as_a_replacement() -> None:
    """Events written before the rule may hold one; a report never lets it reorder a line."""
    assert printable({"title": f"Mine{REORDERING} Red only"}) == {
        "title": f"Mine{REPLACEMENT} Red only"
    }


def test_a_comment_through_the_domain_is_refused_too(world: World) -> None:  # noqa: F811
    with pytest.raises(Invalid) as refused:
        add_comment(world.users["envoy"], world.foreign, "\u2066hidden\u2069")
    db.session.rollback()
    assert "bidirectional formatting" in refused.value.fields["body"]
