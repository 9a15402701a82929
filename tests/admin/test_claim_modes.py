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
from tracker.admin import role_types
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
    done = role_types.change_role_type(users["admin"], partner.id, "Partner", None, None, "request")
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
        role_types.change_role_type(users["admin"], partner.id, "Partner", None, None, "auction")
    assert "claim_mode" in bad.value.fields
    with pytest.raises(Forbidden):
        role_types.change_role_type(users["envoy"], partner.id, "Partner", None, None, "claim")


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


def test_a_role_type_waited_on_cannot_be_deleted_and_one_only_asked_for_before_can(
    client, the_board, users
) -> None:
    """Deleting a role type that a wanted role, an open request or an unanswered invitation
    names is refused naming them (it was a 500); once those are settled it goes, decided
    requests with it (their events keep the story)."""
    from tests.conftest import last_seq
    from tests.factories import make_initiative
    from tracker.board import matching
    from tracker.errors import Conflict
    from tracker.models import RoleRequest, RoleType

    envoy, member = users["envoy"], users["member"]
    card = make_initiative(the_board, envoy, title="Video companionship").id
    funder = role_type(the_board, "Funder").id
    unit_of_work.commit_change(matching.want_role(envoy, card, funder, "£40k"))
    asked = matching.request_role(member, card, funder, member.organisation_id, "We fund it")
    unit_of_work.commit_change(asked)
    before = last_seq(the_board.id)
    with pytest.raises(Conflict) as refused:
        role_types.delete_role_type(users["admin"], funder)
    db.session.rollback()
    assert refused.value.message == (
        "Role type “Funder” cannot be deleted: it is wanted on 1 initiative, asked for in "
        "1 open request; withdraw or decide those first."
    )
    assert last_seq(the_board.id) == before
    auth = AuthActions(client)
    auth.login(users["admin"])
    page = post(client, auth, f"/admin/role-types/{funder}/delete")
    assert page.status_code in (200, 302)
    unit_of_work.commit_change(matching.withdraw_wanted(envoy, card, funder))
    unit_of_work.commit_change(matching.withdraw_request(member, asked.value.id))
    unit_of_work.commit_change(role_types.delete_role_type(users["admin"], funder))
    assert db.session.get(RoleType, funder) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoleRequest)) == 0
