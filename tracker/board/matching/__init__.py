"""Matching organisations to initiatives (issue 15): roles wanted, requests for roles agreed
rather than claimed, and expressions of interest.

Who decides for an initiative: envoys, admins and the members of its lead organisation
(`lead_organisation_id`: the holder of the board's leading role, else the organisation that
proposed it). Every step is one event, written under the board lock like every operation;
an approved request and an accepted invitation are the `role_claimed` event of the claim
they make (`request_id` or `interest_id` in its data), so the claim and the decision are one
step. A refused step writes nothing.

| step                          | who                                   | event                   |
|-------------------------------|---------------------------------------|-------------------------|
| want a role / withdraw it     | `policy.may_decide`                   | role_wanted / _withdrawn|
| request a by-request role     | a member for their organisation       | role_requested          |
| approve / decline a request   | `policy.may_decide`                   | role_claimed / _declined|
| withdraw a request            | the requesting organisation           | role_request_withdrawn  |
| register interest             | a member for their organisation       | interest_registered     |
| invite to a role / close      | envoys, admins                        | interest_invited/_closed|
| accept / decline an invitation| the interested organisation           | role_claimed / _declined|
"""

from tracker.board.matching.common import DECIDERS, lead_organisation_id
from tracker.board.matching.interests import (
    accept_invitation,
    close_interest,
    decline_invitation,
    invite,
    may_see_interests,
    register_interest,
)
from tracker.board.matching.reading import Matching, Opening, openings_for, overview
from tracker.board.matching.requests import (
    approve_request,
    decline_request,
    request_role,
    withdraw_request,
)
from tracker.board.matching.wanted import want_role, withdraw_wanted

__all__ = [
    "DECIDERS",
    "Matching",
    "Opening",
    "accept_invitation",
    "approve_request",
    "close_interest",
    "decline_invitation",
    "decline_request",
    "invite",
    "lead_organisation_id",
    "may_see_interests",
    "openings_for",
    "overview",
    "register_interest",
    "request_role",
    "want_role",
    "withdraw_request",
    "withdraw_wanted",
]
