"""The initiative page's matching forms, without JavaScript (issue 15): a member asks for a
by-request role instead of claiming it; the lead organisation or an envoy approves or
declines; roles wanted show on the page and the card; interests are seen only by those who
decide and by the interested organisation."""

from __future__ import annotations

import html
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions
from tests.factories import make_initiative, role_type
from tracker.extensions import db
from tracker.models import Claim, Interest, RoleRequest


@pytest.fixture
def card(the_board, users) -> int:
    """Proposed by the LEP (envoy, admin, viewer): the LEP leads it until someone holds Lead."""
    return make_initiative(the_board, users["envoy"], title="Video companionship").id


def page_of(client: Any, card: int) -> str:
    """The initiative page's HTML, entities read back (' rather than ')."""
    return html.unescape(client.get(f"/initiatives/{card}").get_data(as_text=True))


def post(client: Any, auth: AuthActions, card: int, path: str, **form: str) -> str:
    """Send a form, follow it back; the page it lands on, entities read back."""
    token = auth.csrf_token(f"/initiatives/{card}")
    answer = client.post(path, data={"csrf_token": token, **form}, follow_redirects=True)
    assert answer.status_code == 200
    return html.unescape(answer.get_data(as_text=True))


def test_a_member_asks_for_lead_and_an_envoy_approves_it(
    client, auth, the_board, users, card
) -> None:
    lead = role_type(the_board, "Lead").id
    auth.login(users["member"])
    page = page_of(client, card)
    assert "Ask for Lead…" in page and "Claim Lead" not in page
    assert "Claim Partner" in page  # claimed, first come first served
    done = post(
        client,
        auth,
        card,
        f"/initiatives/{card}/requests",
        role_type_id=str(lead),
        message="We run the pilot.",
    )
    assert "Police asked for Lead" in done
    again = post(
        client, auth, card, f"/initiatives/{card}/requests", role_type_id=str(lead), message="Again"
    )
    assert "Police has asked for Lead already." in again
    empty = post(
        client, auth, card, f"/initiatives/{card}/requests", role_type_id=str(lead), message=" "
    )
    assert "Message: is required." in empty
    assert "Approve" not in page_of(client, card)  # Police does not lead it
    request_id = db.session.scalar(sa.select(RoleRequest.id))
    denied = client.post(
        f"/requests/{request_id}/approve",
        data={"csrf_token": auth.csrf_token(f"/initiatives/{card}")},
    )
    assert denied.status_code == 403
    auth.logout()

    auth.login(users["envoy"])
    page = page_of(client, card)
    assert "We run the pilot." in page and "Approve<span" in page
    no_reason = post(client, auth, card, f"/requests/{request_id}/decline", reason="")
    assert "Reason: is required." in no_reason
    approved = post(client, auth, card, f"/requests/{request_id}/approve")
    assert "Approved: Police now holds Lead." in approved
    held = db.session.scalar(sa.select(Claim).where(Claim.role_type_id == lead))
    assert held is not None and held.organisation_id == users["member"].organisation_id
    assert "approved Police's request: Police holds Lead" in page_of(client, card)


def test_a_role_wanted_shows_on_the_page_and_the_card(client, auth, the_board, users, card) -> None:
    funder = role_type(the_board, "Funder").id
    auth.login(users["member"])
    assert "Mark a role wanted…" not in page_of(client, card)
    auth.logout()
    auth.login(users["envoy"])
    long = post(
        client, auth, card, f"/initiatives/{card}/wanted", role_type_id=str(funder), brief="x" * 141
    )
    assert "Brief: must be at most 140 characters" in long
    done = post(
        client,
        auth,
        card,
        f"/initiatives/{card}/wanted",
        role_type_id=str(funder),
        brief="£40k for a 6-month pilot",
    )
    assert "Funder is marked wanted." in done
    assert "£40k for a 6-month pilot" in page_of(client, card)
    board_page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "<strong>Wanted:</strong> Funder" in board_page
    post(client, auth, card, f"/initiatives/{card}/wanted/{funder}/withdraw")
    assert "<strong>Wanted:</strong>" not in client.get(f"/boards/{the_board.id}").get_data(
        as_text=True
    )


def test_interest_is_seen_by_those_who_decide_and_the_organisation(
    client, auth, the_board, users, card
) -> None:
    auth.login(users["member"])
    done = post(
        client,
        auth,
        card,
        f"/initiatives/{card}/interests",
        message="We'd like to join the detailed discussions",
    )
    assert "Police's interest is registered" in done
    assert "We'd like to join" in page_of(client, card)
    assert "Register Police’s interest…" not in page_of(client, card)  # once
    auth.logout()
    auth.login(users["viewer"])  # the LEP's viewer: sees the history line, not the words
    viewer_page = page_of(client, card)
    assert "We'd like to join" not in viewer_page
    assert "registered Police's interest" in viewer_page
    auth.logout()
    auth.login(users["envoy"])
    assert "We'd like to join" in page_of(client, card)
    interest = db.session.scalar(sa.select(Interest.id))
    evaluator = role_type(the_board, "Evaluator").id
    invited = post(client, auth, card, f"/interests/{interest}/invite", role_type_id=str(evaluator))
    assert "Police is invited to take Evaluator." in invited
    auth.logout()
    auth.login(users["member"])
    accepted = post(client, auth, card, f"/interests/{interest}/accept")
    assert "Accepted: Police now holds Evaluator." in accepted


def test_actions_on_missing_rows_are_not_found(client, auth, card, users) -> None:
    auth.login(users["envoy"])
    token = auth.csrf_token(f"/initiatives/{card}")
    for path in (
        "/requests/999999/approve",
        "/interests/999999/close",
        "/initiatives/999999/wanted",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


def test_our_organisation_lists_where_it_could_help(client, auth, the_board, users, card) -> None:
    """Police has held Partner (on another initiative): Partner wanted here is for it; Funder
    wanted is not (it never held one); a role it already holds there is not listed."""
    from tracker import board, unit_of_work
    from tracker.board import matching

    envoy, police = users["envoy"], users["member"].organisation_id
    other = make_initiative(the_board, envoy, title="Night buses").id
    partner, funder = role_type(the_board, "Partner").id, role_type(the_board, "Funder").id
    unit_of_work.commit_change(board.claim(envoy, other, partner, police))
    for role, brief in ((partner, "A partner with care homes"), (funder, "£40k")):
        unit_of_work.commit_change(matching.want_role(envoy, card, role, brief))
    unit_of_work.commit_change(matching.want_role(envoy, other, partner, "Another partner"))
    auth.login(users["member"])
    page = html.unescape(client.get("/organisation", follow_redirects=True).get_data(as_text=True))
    section = page[
        page.index('id="openings"') : page.index("</section>", page.index('id="openings"'))
    ]
    assert "Where you could help" in section
    assert "Video companionship" in section and "A partner with care homes" in section
    assert "£40k" not in section  # Police never held Funder
    assert "Night buses" not in section  # Police holds Partner there already


@pytest.fixture
def setting(the_board, users) -> dict[str, int]:
    """A card the LEP proposed (LEP leads it) and one Police proposed (Police leads it), each
    with an open request for Executive sponsor by a council, an open interest of the council
    in the LEP's card, and a card the council proposed (others may register interest)."""
    from tests.factories import make_organisation, make_user
    from tracker import unit_of_work
    from tracker.board import matching

    council = make_organisation("Council")
    clerk = make_user("member", council)
    db.session.commit()
    lep = make_initiative(the_board, users["envoy"], title="LEP card").id
    own = make_initiative(the_board, users["member"], title="Police card").id
    sponsor = role_type(the_board, "Executive sponsor").id

    def done(change: Any) -> int:
        unit_of_work.commit_change(change)
        return int(change.value.id)

    asked = {
        card: done(matching.request_role(clerk, card, sponsor, council.id, "We can sponsor it"))
        for card in (lep, own)
    }
    interest = done(matching.register_interest(clerk, lep, council.id, "Interested"))
    third = make_initiative(the_board, clerk, title="Council card").id
    return {
        "lep": lep,
        "own": own,
        "other": council.id,
        "request_lep": asked[lep],
        "request_own": asked[own],
        "interest": interest,
        "third": third,
    }


# (role, action, expected status, whether the board changes): all four account roles, and a
# member of the lead organisation (Police, on "own") against another (on "lep").
MATRIX = [
    (role, action, 403 if not allowed else 302, allowed)
    for action, who in {
        "want_own": ("admin", "envoy", "member"),
        "want_lep": ("admin", "envoy"),
        "request_lead": ("admin", "envoy", "member"),
        "request_lead_for_other": ("admin", "envoy"),
        "approve_own": ("admin", "envoy", "member"),
        "approve_lep": ("admin", "envoy"),
        "decline_own": ("admin", "envoy", "member"),
        "register_interest": ("admin", "envoy", "member"),
        "invite": ("admin", "envoy"),
        "close": ("admin", "envoy"),
    }.items()
    for role in ("admin", "envoy", "member", "viewer")
    for allowed in [role in who]
]


@pytest.mark.parametrize(("role", "action", "status", "changes"), MATRIX)
def test_page_action_permissions(
    client, auth, the_board, users, setting, role, action, status, changes
) -> None:
    from tests.conftest import last_seq

    auth.login(users[role])
    token = auth.csrf_token("/")
    lead = role_type(the_board, "Lead").id
    funder = role_type(the_board, "Funder").id
    evaluator = role_type(the_board, "Evaluator").id
    lep, own = setting["lep"], setting["own"]
    forms = {
        "want_own": (f"/initiatives/{own}/wanted", {"role_type_id": funder, "brief": "£5k"}),
        "want_lep": (f"/initiatives/{lep}/wanted", {"role_type_id": funder, "brief": "£5k"}),
        "request_lead": (f"/initiatives/{own}/requests", {"role_type_id": lead, "message": "Us"}),
        "request_lead_for_other": (
            f"/initiatives/{lep}/requests",
            {"role_type_id": lead, "organisation_id": setting["other"], "message": "Them"},
        ),
        "approve_own": (f"/requests/{setting['request_own']}/approve", {}),
        "approve_lep": (f"/requests/{setting['request_lep']}/approve", {}),
        "decline_own": (f"/requests/{setting['request_own']}/decline", {"reason": "No"}),
        "register_interest": (
            f"/initiatives/{setting['third']}/interests",
            {"message": "Count us in"},
        ),
        "invite": (f"/interests/{setting['interest']}/invite", {"role_type_id": evaluator}),
        "close": (f"/interests/{setting['interest']}/close", {}),
    }
    path, data = forms[action]
    before = last_seq(the_board.id)
    response = client.post(path, data={**data, "csrf_token": token})
    assert response.status_code == status, html.unescape(response.get_data(as_text=True))[-800:]
    assert (last_seq(the_board.id) > before) is changes


def test_the_forms_offer_only_what_can_succeed(client, auth, the_board, users, card) -> None:
    """No "Ask for" a role the organisation holds; an invitation only to roles the interested
    organisation could take; an id beyond any, or a missing request, said as such."""
    from tests.factories import make_organisation, make_user
    from tracker import board, unit_of_work
    from tracker.board import matching

    envoy, member = users["envoy"], users["member"]
    funder, evaluator = role_type(the_board, "Funder").id, role_type(the_board, "Evaluator").id
    unit_of_work.commit_change(board.claim(envoy, card, funder, member.organisation_id))
    auth.login(member)
    page = page_of(client, card)
    assert "Ask for Funder…" not in page and "Ask for Lead…" in page
    huge = post(client, auth, card, f"/initiatives/{card}/requests",
                role_type_id="2147483648", message="Us")  # fmt: skip
    assert "Role: no such role type on this board." in huge
    missing = client.post("/requests/999999/approve", data={"csrf_token": auth.csrf_token()})
    assert missing.status_code == 404 and "Request 999999 does not exist." in html.unescape(
        missing.get_data(as_text=True)
    )
    auth.logout()

    nhs = make_organisation("NHS Trust")
    nurse = make_user("member", nhs)
    db.session.commit()
    unit_of_work.commit_change(board.claim(envoy, card, evaluator, users["envoy"].organisation_id))
    unit_of_work.commit_change(matching.register_interest(nurse, card, nhs.id, "Count us in"))
    auth.login(envoy)
    page = page_of(client, card)
    invite = page[page.index("Invite NHS Trust to") :]
    invite = invite[: invite.index("</select>")]
    assert ">Partner<" in invite and ">Funder<" in invite  # any number may hold them
    assert ">Evaluator<" not in invite  # exclusive, and held
