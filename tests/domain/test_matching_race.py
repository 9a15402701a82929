"""Requests for one exclusive role decided at once, with real threads and one connection
each (SQLite file, or PostgreSQL when the tests run on it)."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from tests.conftest import last_seq
from tests.domain.test_concurrency import THREADS, run_together
from tests.factories import make_initiative, make_organisation, make_user, role_type
from tracker import unit_of_work
from tracker.board import matching
from tracker.extensions import db
from tracker.models import Claim, RoleRequest, User


def test_twenty_requests_for_lead_approved_at_once_by_two_envoys_leave_one_holder(
    app, the_board, users
):
    initiative_id = make_initiative(the_board, users["envoy"]).id
    lead = role_type(the_board, "Lead").id
    envoys = [users["envoy"].id, make_user("envoy", users["envoy"].organisation).id]
    requests = []
    for i in range(THREADS):
        member = make_user("member", make_organisation(f"Applicant {i}"))
        db.session.commit()
        asked = matching.request_role(
            member, initiative_id, lead, member.organisation_id, f"Applicant {i} can lead it."
        )
        unit_of_work.commit_change(asked)
        requests.append(asked.value.id)
    board_id = the_board.id
    before = last_seq(board_id)
    db.session.remove()

    def approve(i: int) -> str:
        # Half the requests by one envoy, half by the other, all at the same instant.
        envoy = db.session.get(User, envoys[i % 2])
        change = matching.approve_request(envoy, requests[i])
        unit_of_work.commit_change(change)
        return "approved"

    outcomes = run_together(app, approve)

    assert outcomes == Counter({"approved": 1, "conflict": THREADS - 1})
    holders = db.session.scalars(
        sa.select(Claim).where(Claim.initiative_id == initiative_id, Claim.role_type_id == lead)
    ).all()
    assert len(holders) == 1
    statuses = Counter(
        db.session.scalars(sa.select(RoleRequest.status).where(RoleRequest.id.in_(requests)))
    )
    # The one approved is the holder's; the others stay open, to be declined or withdrawn.
    assert statuses == Counter({"approved": 1, "open": THREADS - 1})
    approved = db.session.scalar(
        sa.select(RoleRequest).where(RoleRequest.id.in_(requests), RoleRequest.status == "approved")
    )
    assert approved.organisation_id == holders[0].organisation_id
    assert last_seq(board_id) == before + 1
