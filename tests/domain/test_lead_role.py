"""Which role leads an initiative is data on the role type (`is_lead`), not its name: a
renamed lead role still leads on the cards, on the card fragment, in the API and in every
report format; one role type per board leads."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from tests.factories import make_initiative, role_type
from tracker import board
from tracker.admin import role_types
from tracker.extensions import db
from tracker.models import RoleType
from tracker.reports import render
from tracker.reports import service as reports

WEEK = "2026-W45"
frozen = pytest.mark.time_machine(datetime(2026, 11, 4, 12, tzinfo=UTC), tick=False)


def text(rendered: str | bytes) -> str:
    value = rendered.decode("utf-8") if isinstance(rendered, bytes) else rendered
    return value.removeprefix("\ufeff")


@pytest.fixture(params=["claimed before the rename", "claimed after the rename"])
def led(request, the_board, users):
    """An initiative whose Lead the member's organisation (Police) holds, the lead role being
    renamed "Lead partner" by an admin before or after the claim."""
    initiative = make_initiative(the_board, users["envoy"], title="Cross-agency data sharing")
    lead = role_type(the_board, "Lead")
    steps = [
        lambda: board.claim(
            users["envoy"], initiative.id, lead.id, users["member"].organisation_id
        ),
        lambda: role_types.change_role_type(users["admin"], lead.id, "Lead partner", 1),
    ]
    if request.param == "claimed after the rename":
        steps.reverse()
    for step in steps:
        step()
        db.session.commit()
    return initiative


@frozen
def test_renamed_lead_role_still_leads_on_the_board_page(client, auth, the_board, users, led):
    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "Lead partner: Police" in page
    assert "none yet" not in page
    # The lead is on its own line, not repeated among the other roles' chips.
    assert ">Lead partner: Police</li>" not in page
    fragment = client.get(f"/initiatives/{led.id}/card").get_data(as_text=True)
    assert "Lead partner: Police" in fragment


@frozen
def test_renamed_lead_role_still_fills_the_report_lead_column_in_every_format(
    app, the_board, users, led
):
    report = reports.build(the_board.id, WEEK)
    (row,) = [r for r in report["time_in_stage"] if r["initiative_id"] == led.id]
    assert row["lead"] == "Police"
    with app.test_request_context():
        rendered = {fmt: render.render(report, fmt) for fmt in ("json", "csv", "xlsx", "html")}
    document = json.loads(text(rendered["json"]))
    assert [r["lead"] for r in document["time_in_stage"] if r["initiative_id"] == led.id] == [
        "Police"
    ]
    csv_rows = list(csv.reader(io.StringIO(text(rendered["csv"]))))
    assert any("Cross-agency data sharing" in r and "Police" in r for r in csv_rows)
    book = openpyxl.load_workbook(io.BytesIO(rendered["xlsx"]))
    cells = [
        [c for c in r if c is not None]
        for ws in book.worksheets
        for r in ws.iter_rows(values_only=True)
    ]
    assert any("Cross-agency data sharing" in r and "Police" in r for r in cells)
    assert "Police" in text(rendered["html"])


def test_api_says_which_role_type_leads(client, the_board, users, led):
    from tests.factories import make_token

    token = make_token(users["viewer"])
    body = client.get(
        f"/api/v1/boards/{the_board.id}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    leads = [r["name"] for r in body["role_types"] if r["is_lead"]]
    assert leads == ["Lead partner"]


def test_one_role_type_leads_per_board_and_an_admin_hands_it_over(app, the_board, users, led):
    sponsor = role_type(the_board, "Executive sponsor")
    done = role_types.change_role_type(users["admin"], sponsor.id, sponsor.name, 1, True)
    db.session.commit()
    assert done.event is not None and done.event.data["role_type"]["is_lead"] is True
    leading = db.session.scalars(
        sa.select(RoleType.name).where(RoleType.board_id == the_board.id, RoleType.is_lead)
    ).all()
    assert leading == ["Executive sponsor"]
    # A new role type that leads takes it over too.
    role_types.add_role_type(users["admin"], the_board.id, "Convenor", 1, True)
    db.session.commit()
    leading = db.session.scalars(
        sa.select(RoleType.name).where(RoleType.board_id == the_board.id, RoleType.is_lead)
    ).all()
    assert leading == ["Convenor"]


def test_the_database_refuses_two_lead_role_types_on_one_board(app, the_board):
    for r in the_board.role_types[:2]:
        r.is_lead = True
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@frozen
def test_admin_marks_the_lead_role_on_the_board_shape_page(client, auth, the_board, users, led):
    auth.login(users["admin"])
    page = client.get(f"/admin/boards/{the_board.id}").get_data(as_text=True)
    partner = role_type(the_board, "Partner")
    token = auth.csrf_token(f"/admin/boards/{the_board.id}")
    response = client.post(
        f"/admin/role-types/{partner.id}",
        data={
            "csrf_token": token,
            f"role-{partner.id}-name": "Partner",
            f"role-{partner.id}-max_holders": "",
            f"role-{partner.id}-is_lead": "y",
        },
    )
    assert response.status_code == 302
    assert "Role type 3 leads the initiative" in page
    db.session.expire_all()
    assert db.session.scalars(
        sa.select(RoleType.name).where(RoleType.board_id == the_board.id, RoleType.is_lead)
    ).all() == ["Partner"]
