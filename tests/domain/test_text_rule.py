"""The one text rule (`tracker.text`) at every entry point.

Control characters are refused with 422 naming the field, and nothing is written; tab and line
breaks only where a field is multi-line. The walks below build their list of fields from the
code itself — the API's marshmallow schemas, the page, admin and account forms — so a new
field or form cannot be forgotten: it shows up here and needs a way to reach it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField

from tests import factories
from tests.api.test_permissions import World, assert_error_shape, make_world, table_rows
from tests.conftest import AuthActions, last_seq
from tracker import text
from tracker.admin import boards, organisations, people, role_types, tokens
from tracker.admin import forms as admin_forms
from tracker.api import notification_views
from tracker.api import views as api_views
from tracker.board import add_comment, edit, propose
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import ApiToken, Board, Comment, Initiative, User
from tracker.web import forms as web_forms

# Characters every entry point is tried with: the issue's BEL, and NUL (which PostgreSQL
# cannot store at all). The rule's own tests below try every one.
BAD = {"U+0007": "\u0007", "U+0000": "\u0000"}

CONTROL = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0)]


@pytest.fixture
def world(the_board: Board, users: dict[str, User]) -> World:
    return make_world(the_board, users)


def snapshot(board_id: int) -> dict[str, Any]:
    """Every row of every table (API tokens included) and the board's last event."""
    rows = table_rows()
    rows["api_tokens"] = sorted(
        (t.id, t.name, t.revoked_at) for t in db.session.scalars(sa.select(ApiToken))
    )
    return {"rows": rows, "seq": last_seq(board_id)}


def spoil(value: str, character: str) -> str:
    """`value` with `character` after its first letter (so it is still not blank)."""
    return value[:1] + character + value[1:] if value else "a" + character + "b"


# --- the rule -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", CONTROL, ids=[f"U+{c:04X}" for c in CONTROL])
def test_text_rule_refuses_each_control_character_in_every_kind_of_field(code: int) -> None:
    for multiline in (False, True):
        reason = text.problem(f"ab{chr(code)}c", multiline=multiline)
        assert reason == f"must not contain control characters (found U+{code:04X} at character 3)"
        with pytest.raises(Invalid) as refused:
            text.clean(f"ab{chr(code)}c", "summary", multiline=multiline)
        assert refused.value.fields == {"summary": reason}


@pytest.mark.parametrize("character", ["\ud800", "\udfff", "\ufffe", "\uffff"])
def test_text_rule_refuses_lone_surrogates_and_noncharacters(character: str) -> None:
    for multiline in (False, True):
        reason = text.problem(f"a{character}", multiline=multiline)
        assert reason is not None
        assert f"U+{ord(character):04X}" in reason


@pytest.mark.parametrize("character", ["\t", "\n", "\r", "\u2028", "\u2029"])
def test_text_rule_allows_tab_and_line_breaks_only_in_multi_line_fields(character: str) -> None:
    reason = text.problem(f"one{character}two", multiline=False)
    assert reason is not None and reason.startswith("must be a single line")
    assert "at character 4" in reason
    assert text.problem(f"one{character}two", multiline=True) is None


def test_text_rule_stores_every_line_break_as_a_newline_in_multi_line_fields() -> None:
    assert text.clean("a\r\nb\rc\nd\te", "summary", multiline=True) == "a\nb\nc\nd\te"


def test_text_rule_accepts_text_in_any_script_with_markup_and_symbols() -> None:
    value = "Café – naïve 日本語 Ελληνικά 🚀 <b>&amp; \u00a0non-breaking"
    assert text.clean(value, "title") == value
    assert text.clean(value, "summary", multiline=True) == value


def test_multi_line_fields_are_exactly_the_page_forms_text_areas() -> None:
    """The domain, the API and the pages agree on which fields are multi-line."""
    import re
    from pathlib import Path

    from tracker.board import MULTI_LINE_FIELDS

    areas = {
        name
        for cls in (web_forms.InitiativeForm, web_forms.CommentForm)
        for name, unbound in _unbound_fields(cls)
        if issubclass(unbound.field_class, TextAreaField)
    }
    # The matching forms (issue 15) are written in their template.
    written = {
        found
        for template in Path("templates/web").glob("*.html")
        for found in re.findall(r'<textarea name="(\w+)"', template.read_text())
    }
    assert written == {"message", "reason"}
    assert areas | written == set(MULTI_LINE_FIELDS)


# --- domain operations (what the CLI, the API and the pages all call) ---------------------


def _propose(w: World, field: str, value: str) -> None:
    fields = {"title": "Smart streetlights", "grand_challenge_id": w.challenge, field: value}
    if field == "rag_reason":
        fields["rag"] = "amber"
    propose(w.users["envoy"], w.board.id, fields)


def _edit(w: World, field: str, value: str) -> None:
    edit(w.users["envoy"], w.foreign, w.version(w.foreign), {field: value})


def _op(field: str, operation: Callable[[World, str], Any], name: str) -> Any:
    return pytest.param(field, operation, id=name)


INITIATIVE_TEXT = ("title", "summary", "rag_reason", "next_step", "barriers")
DOMAIN_TEXT: list[Any] = [
    *(_op(f, lambda w, v, f=f: _propose(w, f, v), f"propose-{f}") for f in INITIATIVE_TEXT),
    *(_op(f, lambda w, v, f=f: _edit(w, f, v), f"edit-{f}") for f in INITIATIVE_TEXT),
    _op("body", lambda w, v: add_comment(w.users["envoy"], w.foreign, v), "comment"),
    _op("name", lambda w, v: organisations.create(w.users["admin"], v), "org-new"),
    _op("name", lambda w, v: organisations.rename(w.users["admin"], w.bre, v), "org-rename"),
    _op("name", lambda w, v: boards.create_board(w.users["admin"], v), "board-new"),
    _op("name", lambda w, v: boards.rename_board(w.users["admin"], w.board.id, v), "board-rename"),
    _op("name", lambda w, v: boards.add_stage(w.users["admin"], w.board.id, v), "stage-new"),
    _op("name", lambda w, v: boards.change_stage(w.users["admin"], w.stage, v, None),
        "stage-change"),
    _op("name", lambda w, v: boards.add_grand_challenge(w.users["admin"], w.board.id, v),
        "lane-new"),
    _op("name", lambda w, v: boards.rename_grand_challenge(w.users["admin"], w.challenge, v),
        "lane-rename"),
    _op("name", lambda w, v: role_types.add_role_type(w.users["admin"], w.board.id, v), "role-new"),
    _op("name", lambda w, v: role_types.change_role_type(w.users["admin"], w.lead, v, None),
        "role-change"),
    _op("email", lambda w, v: people.invite(w.users["admin"], v + "@example.org", "Jo", w.lep,
                                            "member"), "invite-email"),
    _op("name", lambda w, v: people.invite(w.users["admin"], "jo@example.org", v, w.lep, "member"),
        "invite-name"),
    _op("name", lambda w, v: tokens.create(w.users["member"], v), "token"),
]  # fmt: skip


@pytest.mark.parametrize("character", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(("field", "operation"), DOMAIN_TEXT)
def test_every_operation_refuses_a_control_character_naming_the_field(
    world: World, field: str, operation: Callable[[World, str], Any], character: str
) -> None:
    """The operations the API, the pages and the command line all call."""
    before = snapshot(world.board.id)
    with pytest.raises(Invalid) as refused:
        operation(world, "Bell" + character)
    db.session.rollback()
    assert "control characters" in refused.value.fields[field]
    assert snapshot(world.board.id) == before


# --- the API: every text field of every endpoint, from the schemas ------------------------


def _api_text_fields() -> list[tuple[str, str, str]]:
    """(view, location, field) for every String field of every request schema."""
    found = []
    views = {**vars(api_views), **vars(notification_views)}
    for view_name, view in sorted(views.items()):
        # Functions only: the module also holds Flask's `request` proxy, which cannot be
        # asked anything outside a request.
        if not inspect.isfunction(view):
            continue
        parameters = (getattr(view, "_apidoc", None) or {}).get("arguments", {})
        for parameter in parameters.get("parameters", []):
            schema = parameter["schema"]
            schema = schema() if isinstance(schema, type) else schema
            for name, field in schema.fields.items():
                if isinstance(field, ma.fields.String):
                    found.append((view_name, parameter["in"], field.data_key or name))
    return found


API_TEXT_FIELDS = _api_text_fields()

# How to reach each endpoint that has text fields, with a request it accepts.
API_ENDPOINTS: dict[str, tuple[str, Callable[[World], str], Callable[[World], dict[str, Any]]]] = {
    "propose_initiative": (
        "POST",
        lambda w: f"/api/v1/boards/{w.board.id}/initiatives",
        lambda w: {
            "title": "Smart streetlights",
            "summary": "Lights that dim",
            "grand_challenge_id": w.challenge,
            "rag": "amber",
            "rag_reason": "No funder yet",
            "next_step": "Ask the council",
            "barriers": "Funding",
        },
    ),
    "edit_initiative": (
        "PATCH",
        lambda w: f"/api/v1/initiatives/{w.foreign}",
        lambda w: {
            "version": w.version(w.foreign),
            "title": "Foreign, renamed",
            "summary": "A new summary",
            "rag": "red",
            "rag_reason": "Stalled",
            "next_step": "Call",
            "barriers": "None",
        },
    ),
    "add_comment": (
        "POST",
        lambda w: f"/api/v1/initiatives/{w.foreign}/comments",
        lambda w: {"body": "Met the CTOs today."},
    ),
    "weekly_report": (
        "GET",
        lambda w: f"/api/v1/boards/{w.board.id}/reports/weekly",
        lambda w: {"week": "2026-W48", "format": "json"},
    ),
    # The board's filters: every text parameter at a valid value.
    "get_board": (
        "GET",
        lambda w: f"/api/v1/boards/{w.board.id}",
        lambda w: {"q": "streetlights", "involvement": "any", "wanted": "any", "due": "soon"},
    ),
    "mentionable": ("GET", lambda w: "/api/v1/mentionable", lambda w: {"q": "sam"}),
}
QUERY_VIEWS = {"weekly_report", "get_board", "mentionable"}


def test_api_text_field_walk_covers_every_text_field_of_every_endpoint() -> None:
    assert len(API_TEXT_FIELDS) >= 10
    assert {view for view, _, _ in API_TEXT_FIELDS} == set(API_ENDPOINTS)
    assert ("propose_initiative", "json", "title") in API_TEXT_FIELDS
    assert ("add_comment", "json", "body") in API_TEXT_FIELDS


def _api_send(client: FlaskClient, w: World, view: str, location: str, body: dict[str, Any]) -> Any:
    method, url, _ = API_ENDPOINTS[view]
    headers = {"Authorization": f"Bearer {w.tokens['envoy']}"}
    if location == "query":
        return client.open(url(w), method=method, query_string=body, headers=headers)
    return client.open(url(w), method=method, json=body, headers=headers)


@pytest.mark.parametrize("character", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(
    ("view", "location", "field"), API_TEXT_FIELDS, ids=[f"{v}-{f}" for v, _, f in API_TEXT_FIELDS]
)
def test_api_refuses_a_control_character_in_every_text_field_and_writes_nothing(
    client: FlaskClient, world: World, view: str, location: str, field: str, character: str
) -> None:
    body = API_ENDPOINTS[view][2](world)
    body[field] = spoil(str(body.get(field, "")), character)
    before = snapshot(world.board.id)

    response = _api_send(client, world, view, location, body)

    error = assert_error_shape(response, 422)
    assert error["code"] == "invalid"
    assert error["fields"][field], error
    assert snapshot(world.board.id) == before


@pytest.mark.parametrize("view", sorted(API_ENDPOINTS))
def test_api_request_of_each_text_walk_endpoint_is_accepted(
    client: FlaskClient, world: World, view: str
) -> None:
    """The walk's starting requests are valid: each refusal above is the character's doing."""
    response = _api_send(
        client, world, view, "query" if view in QUERY_VIEWS else "json",
        API_ENDPOINTS[view][2](world),
    )  # fmt: skip
    assert response.status_code in (200, 201), response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["title", "next_step"])
def test_api_single_line_fields_refuse_line_breaks_and_tabs(
    client: FlaskClient, world: World, field: str
) -> None:
    for value in ("two\nlines", "tab\there"):
        body = {**API_ENDPOINTS["propose_initiative"][2](world), field: value}
        response = _api_send(client, world, "propose_initiative", "json", body)
        error = assert_error_shape(response, 422)
        assert error["fields"][field].startswith("must be a single line")


def test_api_multi_line_fields_keep_tabs_and_store_line_breaks_as_newlines(
    client: FlaskClient, world: World
) -> None:
    body = {
        **API_ENDPOINTS["propose_initiative"][2](world),
        "summary": "First line\r\nsecond\tline",
        "barriers": "a\rb",
        "rag_reason": "x\ny",
    }
    created = _api_send(client, world, "propose_initiative", "json", body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["summary"] == "First line\nsecond\tline"
    assert created.get_json()["barriers"] == "a\nb"
    assert created.get_json()["rag_reason"] == "x\ny"
    comment = _api_send(client, world, "add_comment", "json", {"body": "one\r\ntwo"})
    assert comment.get_json()["body"] == "one\ntwo"


def test_api_title_with_bell_is_refused_as_in_the_issue(client: FlaskClient, world: World) -> None:
    """The issue's instance: `{"title": "a\\u0007b", …}` was accepted (201)."""
    before = snapshot(world.board.id)
    response = client.post(
        f"/api/v1/boards/{world.board.id}/initiatives",
        json={"title": "a\u0007b", "grand_challenge_id": world.challenge},
        headers={"Authorization": f"Bearer {world.tokens['envoy']}"},
    )
    error = assert_error_shape(response, 422)
    assert error["fields"] == {
        "title": "must not contain control characters (found U+0007 at character 2)"
    }
    assert snapshot(world.board.id) == before


def test_api_lone_surrogate_is_refused_not_a_server_error(
    client: FlaskClient, world: World
) -> None:
    """JSON's `\\ud800` escape makes text UTF-8 cannot encode (the database driver failed)."""
    before = snapshot(world.board.id)
    response = client.post(
        f"/api/v1/boards/{world.board.id}/initiatives",
        data='{"title": "a\\ud800b", "grand_challenge_id": ' + str(world.challenge) + "}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['envoy']}"},
    )
    error = assert_error_shape(response, 422)
    assert "U+D800" in error["fields"]["title"]
    assert snapshot(world.board.id) == before


# --- page, admin and account forms: every text input of every form ------------------------


def _unbound_fields(cls: type[FlaskForm]) -> list[tuple[str, UnboundField]]:
    return [
        (name, value)
        for name, value in inspect.getmembers(cls)
        if isinstance(value, UnboundField) and name != "csrf_token"
    ]


def _form_classes() -> list[type[FlaskForm]]:
    return [
        cls
        for module in (web_forms, admin_forms)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, FlaskForm)
        and cls.__module__ == module.__name__
        and cls is not getattr(web_forms, "Form", None)
    ]


def typed_text(field_class: type[Field]) -> bool:
    """Text a person types: any string input but passwords and hidden fields."""
    return issubclass(field_class, StringField) and not issubclass(
        field_class, PasswordField | HiddenField
    )


def typed_fields(cls: type[FlaskForm]) -> list[tuple[str, bool]]:
    """(name, multi-line) of each field of `cls` a person types text into."""
    return [
        (name, issubclass(unbound.field_class, TextAreaField))
        for name, unbound in _unbound_fields(cls)
        if typed_text(unbound.field_class)
    ]


def number_fields(cls: type[FlaskForm]) -> list[str]:
    """Fields of `cls` that carry a number: integers, id choices, a hidden version."""
    return [
        name
        for name, unbound in _unbound_fields(cls)
        if issubclass(unbound.field_class, IntegerField)
        or (issubclass(unbound.field_class, SelectField) and unbound.kwargs.get("coerce") is int)
        or (issubclass(unbound.field_class, HiddenField) and name == "version")
    ]


@dataclass(frozen=True)
class Entry:
    """One place a form is sent to, with data it accepts."""

    name: str
    form: type[FlaskForm]
    method: str
    url: Callable[[World], str]
    prefix: Callable[[World], str]
    valid: Callable[[World], dict[str, str]]
    role: str | None  # who is signed in (None: nobody)
    answer: str  # "page": the form again with the field's error; "flash": a redirect, a message
    unused: tuple[str, ...] = ()  # fields of the form this entry removes


def _entry(name: str, form: type[FlaskForm], url: Any, valid: Any, **kw: Any) -> Entry:
    prefix = kw.pop("prefix", "")
    return Entry(
        name=name,
        form=form,
        method=kw.pop("method", "POST"),
        url=url if callable(url) else (lambda w, u=url: u),
        prefix=prefix if callable(prefix) else (lambda w, p=prefix: p),
        valid=valid,
        role=kw.pop("role", "admin"),
        answer=kw.pop("answer", "page"),
        unused=kw.pop("unused", ()),
    )


def _initiative_fields(w: World) -> dict[str, str]:
    return {
        "title": "Smart streetlights",
        "summary": "Lights that dim",
        "grand_challenge_id": str(w.challenge),
        "rag": "amber",
        "rag_reason": "No funder yet",
        "next_step": "Ask the council",
        "next_step_due": "",
        "barriers": "Funding",
    }


WEB, ADMIN = web_forms, admin_forms
FORM_ENTRIES = [
    _entry("login", WEB.LoginForm, "/login",
           lambda w: {"email": w.users["envoy"].email, "password": factories.PASSWORD},
           role=None),
    _entry("propose", WEB.InitiativeForm, lambda w: f"/boards/{w.board.id}/initiatives/new",
           lambda w: {**_initiative_fields(w), "stage_id": str(w.stage),
                      "proposing_organisation_id": str(w.lep)}, role="envoy"),
    _entry("edit", WEB.InitiativeForm, lambda w: f"/initiatives/{w.foreign}/edit",
           lambda w: {**_initiative_fields(w), "version": str(w.version(w.foreign))},
           role="envoy", unused=("stage_id", "proposing_organisation_id")),
    _entry("comment", WEB.CommentForm, lambda w: f"/initiatives/{w.foreign}/comments",
           lambda w: {"body": "Met the CTOs today."}, role="envoy", answer="flash"),
    _entry("move", WEB.MoveForm, lambda w: f"/initiatives/{w.foreign}/move",
           lambda w: {"stage_id": str(w.stage), "position": "1",
                      "version": str(w.version(w.foreign))}, role="envoy", answer="flash"),
    _entry("claim", WEB.ClaimForm, lambda w: f"/initiatives/{w.foreign}/claims",
           lambda w: {"role_type_id": str(w.lead), "organisation_id": str(w.police)},
           role="envoy", answer="flash"),
    _entry("archive", WEB.ArchiveForm, lambda w: f"/initiatives/{w.foreign}/archive",
           lambda w: {"version": str(w.version(w.foreign)), "archived": "1"},
           role="envoy", answer="flash"),
    _entry("organisation-new", ADMIN.NameForm, "/admin/organisations",
           lambda w: {"name": "Herts Council"}, prefix="new-"),
    _entry("organisation-rename", ADMIN.OrganisationForm,
           lambda w: f"/admin/organisations/{w.bre}/rename",
           lambda w: {"name": "BRE", "short_name": "BRE"},
           prefix=lambda w: f"org-{w.bre}-"),
    _entry("board-rename", ADMIN.NameForm, lambda w: f"/admin/boards/{w.board.id}/rename",
           lambda w: {"name": "Renamed board"}, prefix="board-"),
    _entry("board-new", ADMIN.BoardForm, "/admin/boards",
           lambda w: {"name": "Second board", "defaults": "y"}, prefix="board-"),
    _entry("stage-new", ADMIN.StageForm, lambda w: f"/admin/boards/{w.board.id}/stages",
           lambda w: {"name": "Piloting", "wip_limit": "5"}, prefix="new-stage-"),
    _entry("stage-change", ADMIN.StageForm, lambda w: f"/admin/stages/{w.stage}",
           lambda w: {"name": "Exploring ideas", "wip_limit": "4"},
           prefix=lambda w: f"stage-{w.stage}-"),
    _entry("lane-new", ADMIN.LabelForm, lambda w: f"/admin/boards/{w.board.id}/grand-challenges",
           lambda w: {"name": "Net Zero"}, prefix="new-lane-"),
    _entry("lane-rename", ADMIN.LabelForm, lambda w: f"/admin/grand-challenges/{w.challenge}",
           lambda w: {"name": "Clean growth, renamed"},
           prefix=lambda w: f"lane-{w.challenge}-"),
    _entry("role-new", ADMIN.RoleTypeForm, lambda w: f"/admin/boards/{w.board.id}/role-types",
           lambda w: {"name": "Mentor", "max_holders": "2"}, prefix="new-role-"),
    _entry("role-change", ADMIN.RoleTypeForm, lambda w: f"/admin/role-types/{w.lead}",
           lambda w: {"name": "Lead partner", "max_holders": "1"},
           prefix=lambda w: f"role-{w.lead}-"),
    _entry("invite", ADMIN.InviteForm, "/admin/people/invite",
           lambda w: {"email": "jo@example.org", "name": "Jo Bloggs",
                      "organisation_id": str(w.lep), "role": "member"}, prefix="invite-"),
    _entry("recipient-person", ADMIN.RecipientPersonForm,
           lambda w: f"/admin/boards/{w.board.id}/recipients/person",
           lambda w: {"user_id": str(w.users["member"].id)}, prefix="recipient-person-"),
    _entry("recipient-address", ADMIN.RecipientAddressForm,
           lambda w: f"/admin/boards/{w.board.id}/recipients/address",
           lambda w: {"address": "office@partner.example"}, prefix="recipient-address-"),
    _entry("person", ADMIN.PersonForm, lambda w: f"/admin/people/{w.users['member'].id}",
           lambda w: {"role": "envoy", "organisation_id": str(w.police)}, prefix="person-"),
    _entry("token", ADMIN.TokenForm, "/account/tokens", lambda w: {"name": "Spreadsheet sync"},
           prefix="token-", role="member"),
    _entry("audit", ADMIN.AuditFilterForm, "/admin/audit", lambda w: {"q": "stage"},
           method="GET"),
]  # fmt: skip

TEXT_CASES = [
    pytest.param(entry, name, multiline, id=f"{entry.name}-{name}")
    for entry in FORM_ENTRIES
    for name, multiline in typed_fields(entry.form)
    if name not in entry.unused
]
NUMBER_CASES = [
    pytest.param(entry, name, id=f"{entry.name}-{name}")
    for entry in FORM_ENTRIES
    for name in number_fields(entry.form)
    if name not in entry.unused
]


def test_form_walk_reaches_every_form_with_text_or_numbers() -> None:
    reached = {entry.form for entry in FORM_ENTRIES}
    for cls in _form_classes():
        if typed_fields(cls) or number_fields(cls):
            assert cls in reached, f"{cls.__name__} has inputs but no entry in FORM_ENTRIES"
    assert len(TEXT_CASES) >= 20
    assert len(NUMBER_CASES) >= 10


def _signed_in(client: FlaskClient, w: World, role: str | None) -> str:
    """Sign in as `role`; the CSRF token the pages carry."""
    auth = AuthActions(client)
    if role is not None:
        assert auth.login(w.users[role]).status_code == 302
        return auth.csrf_token("/account")
    return auth.csrf_token("/login")


def _send_form(
    client: FlaskClient, w: World, entry: Entry, data: dict[str, str], token: str
) -> Any:
    prefix = entry.prefix(w)
    fields = {prefix + name: value for name, value in data.items()}
    if entry.method == "GET":
        return client.get(entry.url(w), query_string=fields)
    return client.post(entry.url(w), data={**fields, "csrf_token": token})


def _flashed_error(client: FlaskClient, response: Any) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    found = re.search(r'<p class="flash flash-error">(.*?)</p>', page, re.S)
    assert found, "no error message on the page"
    return found.group(1)


@pytest.mark.parametrize("character", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(("entry", "field", "multiline"), TEXT_CASES)
def test_forms_refuse_a_control_character_in_every_text_input_naming_it(
    client: FlaskClient, world: World, entry: Entry, field: str, multiline: bool, character: str
) -> None:
    token = _signed_in(client, world, entry.role)
    data = entry.valid(world)
    data[field] = spoil(data.get(field, ""), character)
    before = snapshot(world.board.id)

    response = _send_form(client, world, entry, data, token)

    assert snapshot(world.board.id) == before
    reason = "must not contain control characters"
    if entry.answer == "flash":
        message = _flashed_error(client, response)
        label = getattr(entry.form(meta={"csrf": False}), field).label.text
        assert message.startswith(f"{label}: {reason}"), message
        return
    page = response.get_data(as_text=True)
    assert response.status_code == (200 if entry.name == "login" else 422)
    error = re.search(
        rf'<p class="field-error" id="{entry.prefix(world)}{field}-error">(.*?)</p>', page
    )
    assert error, f"no error at the field {field}"
    assert reason in error.group(1)


@pytest.mark.parametrize(("entry", "field", "multiline"), [
    case for case in TEXT_CASES if not case.values[2]
])  # fmt: skip
def test_forms_refuse_tabs_in_single_line_inputs(
    client: FlaskClient, world: World, entry: Entry, field: str, multiline: bool
) -> None:
    token = _signed_in(client, world, entry.role)
    data = entry.valid(world)
    data[field] = spoil(data.get(field, ""), "\t")
    before = snapshot(world.board.id)
    response = _send_form(client, world, entry, data, token)
    assert snapshot(world.board.id) == before
    assert response.status_code in (200, 422)
    assert "must be a single line" in response.get_data(as_text=True)


@pytest.mark.parametrize("entry", FORM_ENTRIES, ids=[e.name for e in FORM_ENTRIES])
def test_forms_accept_the_walks_starting_data(
    client: FlaskClient, world: World, entry: Entry
) -> None:
    """Each form's starting data is accepted, so each refusal is the changed input's doing."""
    token = _signed_in(client, world, entry.role)
    response = _send_form(client, world, entry, entry.valid(world), token)
    assert response.status_code in (200, 201, 302), response.get_data(as_text=True)[:800]
    page = response.get_data(as_text=True)
    assert "field-error" not in page
    if response.status_code == 302:
        followed = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "flash-error" not in followed, followed


def test_page_text_areas_store_line_breaks_as_newlines(client: FlaskClient, world: World) -> None:
    token = _signed_in(client, world, "envoy")
    response = client.post(
        f"/initiatives/{world.foreign}/comments",
        data={"body": "Line one\r\nline two", "csrf_token": token},
    )
    assert response.status_code == 302
    db.session.expire_all()
    bodies = list(db.session.scalars(sa.select(Comment.body)))
    assert "Line one\nline two" in bodies


# --- huge numbers in form inputs (the claim form's role_type_id was a 500) ---------------

HUGE = {"2**63": str(2**63), "2**80": str(2**80), "5000 digits": "9" * 5000}


@pytest.mark.parametrize("value", HUGE.values(), ids=HUGE.keys())
@pytest.mark.parametrize(("entry", "field"), NUMBER_CASES)
def test_forms_refuse_huge_numbers_with_a_message(
    client: FlaskClient, world: World, entry: Entry, field: str, value: str
) -> None:
    token = _signed_in(client, world, entry.role)
    data = {**entry.valid(world), field: value}
    before = snapshot(world.board.id)

    response = _send_form(client, world, entry, data, token)  # a 500 raises here

    assert snapshot(world.board.id) == before
    if entry.answer == "flash" and response.status_code == 302:
        assert _flashed_error(client, response)
    else:
        assert response.status_code in (403, 404, 409, 422), response.status_code
        if response.status_code == 422:  # the error summary names the field (hidden ones too)
            assert 'class="error-summary"' in response.get_data(as_text=True)


# --- the command line ---------------------------------------------------------------------


def test_cli_create_user_refuses_control_characters_in_name_org_and_email(
    runner: FlaskCliRunner, world: World
) -> None:
    base = ["create-user", "jo@example.org", "--org", "The LEP", "--role", "member",
            "--password", "a-long-enough-password"]  # fmt: skip
    before = snapshot(world.board.id)
    for args, option in [
        (["--name", "Jo\u0007"], "--name"),
        (["--name", "Jo\nBloggs"], "--name"),
    ]:
        result = runner.invoke(args=[*base, *args])
        assert result.exit_code != 0
        assert f"{option}: must" in result.output, result.output
    result = runner.invoke(args=[*base[:3], "The\u0000LEP", *base[4:]])
    assert result.exit_code != 0 and "--org: must not contain control characters" in result.output
    result = runner.invoke(args=[base[0], "jo\u0007@example.org", *base[2:]])
    assert result.exit_code != 0 and "EMAIL: must not contain control characters" in result.output
    assert snapshot(world.board.id) == before


def test_cli_create_token_refuses_a_control_character_in_its_name(
    runner: FlaskCliRunner, world: World
) -> None:
    before = snapshot(world.board.id)
    email = world.users["member"].email
    result = runner.invoke(args=["create-token", email, "--name", "sync\u001b[31m"])
    assert result.exit_code != 0
    assert "--name: must not contain control characters (found U+001B" in result.output
    assert "trk_" not in result.output
    assert snapshot(world.board.id) == before


def test_cli_comment_refuses_a_control_character_in_its_body(
    runner: FlaskCliRunner, world: World
) -> None:
    before = snapshot(world.board.id)
    result = runner.invoke(
        args=["comment", str(world.foreign), "Bell\u0007", "--as", world.users["envoy"].email]
    )
    assert result.exit_code == 2
    assert "body: must not contain control characters" in result.output
    assert snapshot(world.board.id) == before
    kept = runner.invoke(
        args=["comment", str(world.foreign), "Two\r\nlines", "--as", world.users["envoy"].email]
    )
    assert kept.exit_code == 0, kept.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(Comment.body).order_by(Comment.id.desc())) == "Two\nlines"


def test_stored_text_keeps_what_was_typed_apart_from_line_endings(world: World) -> None:
    """Nothing else is changed: markup, quotes and any script go in as typed."""
    typed = "<b>“Quotes”</b> & Café 🚀"
    change = propose(
        world.users["envoy"],
        world.board.id,
        {"title": typed, "summary": typed + "\r\n", "grand_challenge_id": world.challenge},
    )
    db.session.commit()
    stored = db.session.get(Initiative, change.value.id)
    assert stored is not None
    assert (stored.title, stored.summary) == (typed, typed)
