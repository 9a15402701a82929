"""An admin chooses, per role type, whether it is claimed or asked for (issue 15): on the
board's administration page and through the operation, audited, reaching open boards as a
board change; a new board asks for Lead, Executive sponsor and Funder."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.admin.test_admin_pages import post
from tests.conftest import AuthActions
from tests.factories import role_type
from tracker import unit_of_work
from tracker.admin import boards
from tracker.errors import Forbidden, Invalid
from tracker.extensions import db
from tracker.models import AuditEntry, Event


def test_a_new_board_asks_for_lead_executive_sponsor_and_funder(the_board) -> None:
    modes = {role.name: role.claim_mode for role in the_board.role_types}
    assert modes == {
        "Lead": "request",
        "Executive sponsor": "request",
        "Partner": "claim",
        "Funder": "request",
        "Data provider": "claim",
        "Technology supplier": "claim",
        "Evaluator": "claim",
    }


def test_switching_a_role_to_by_request_is_audited_and_an_event(the_board, users) -> None:
    partner = role_type(the_board, "Partner")
    done = boards.change_role_type(users["admin"], partner.id, "Partner", None, None, "request")
    unit_of_work.commit_change(done)
    assert db.session.get(type(partner), partner.id).claim_mode == "request"
    summary = db.session.scalar(
        sa.select(AuditEntry.summary).order_by(AuditEntry.id.desc()).limit(1)
    )
    assert summary == "Role type “Partner”: asked for and agreed."
    event = db.session.scalar(sa.select(Event).order_by(Event.id.desc()).limit(1))
    assert event.type == "board_changed"
    assert event.data["role_type"]["claim_mode"] == "request"
    with pytest.raises(Invalid) as bad:
        boards.change_role_type(users["admin"], partner.id, "Partner", None, None, "auction")
    assert "claim_mode" in bad.value.fields
    with pytest.raises(Forbidden):
        boards.change_role_type(users["envoy"], partner.id, "Partner", None, None, "claim")


def test_the_admin_page_sets_and_shows_it(client, the_board, users) -> None:
    auth = AuthActions(client)
    auth.login(users["admin"])
    lead = role_type(the_board, "Lead")
    page = client.get(f"/admin/boards/{the_board.id}").get_data(as_text=True)
    box = re.search(rf'<input[^>]*id="role-{lead.id}-by_request"[^>]*>', page)
    assert box is not None and "checked" in box.group(0) and 'type="checkbox"' in box.group(0)
    # Saved without the box ticked: Lead is claimed from now on.
    post(client, auth, f"/admin/role-types/{lead.id}", {f"role-{lead.id}-name": "Lead"})
    db.session.expire_all()
    assert role_type(the_board, "Lead").claim_mode == "claim"
    post(
        client,
        auth,
        f"/admin/boards/{the_board.id}/role-types",
        {"new-role-name": "Mentor", "new-role-by_request": "y"},
    )
    db.session.expire_all()
    assert role_type(the_board, "Mentor").claim_mode == "request"
