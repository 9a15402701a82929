"""Matching organisations to initiatives (issue 15): every step writes exactly one event,
every refused step none, and each refusal names its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import last_seq
from tests.factories import make_initiative, make_organisation, make_user, role_type
from tracker import board, unit_of_work
from tracker.board import matching
from tracker.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from tracker.extensions import db
from tracker.models import (
    BRIEF_MAX,
    MESSAGE_MAX,
    Claim,
    Event,
    Interest,
    RoleRequest,
    WantedRole,
)


def commit(change: Any) -> Any:
    unit_of_work.commit_change(change)
    return change


@pytest.fixture
def world(the_board, users) -> dict[str, Any]:
    """An initiative the LEP proposed (so the LEP leads it: admin, envoy, viewer), the
    member's Police, and a third organisation with a member of its own."""
    nhs = make_organisation("NHS Trust")
    nurse = make_user("member", nhs)
    db.session.commit()
    card = make_initiative(the_board, users["envoy"], title="Video companionship")
    return {
        "card": card.id,
        "board": the_board.id,
        "lead": role_type(the_board, "Lead").id,
        "funder": role_type(the_board, "Funder").id,
        "partner": role_type(the_board, "Partner").id,
        "evaluator": role_type(the_board, "Evaluator").id,
        "police": users["member"].organisation_id,
        "lep": users["envoy"].organisation_id,
        "nhs": nhs.id,
        "nurse": nurse,
    }


def one_event(world: dict[str, Any], step: Callable[[], Any], kind: str) -> Any:
    """Run a step and commit it; it wrote exactly one event, of `kind`."""
    before = last_seq(world["board"])
    change = commit(step())
    assert last_seq(world["board"]) == before + 1
    latest = db.session.scalar(sa.select(Event).order_by(Event.id.desc()).limit(1))
    assert latest is not None and latest.type == kind
    return change


def refused(
    world: dict[str, Any],
    step: Callable[[], Any],
    error: type[DomainError],
    field: str | None = None,
) -> DomainError:
    """A refused step raises `error` (naming `field`) and writes nothing."""
    before = last_seq(world["board"])
    counts = _counts()
    with pytest.raises(error) as caught:
        step()
    db.session.rollback()
    assert last_seq(world["board"]) == before
    assert _counts() == counts
    if field is not None:
        assert field in caught.value.fields, caught.value.fields
    return caught.value


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Claim, WantedRole, RoleRequest, Interest)
    )


def test_wanted_then_withdrawn(world, users) -> None:
    envoy = users["envoy"]
    change = one_event(
        world,
        lambda: matching.want_role(
            envoy, world["card"], world["funder"], "Funder wanted: £40k for a 6-month pilot"
        ),
        "role_wanted",
    )
    assert change.event.data == {
        "wanted_id": change.value.id,
        "role_type_id": world["funder"],
        "role": "Funder",
        "brief": "Funder wanted: £40k for a 6-month pilot",
    }
    refused(
        world,
        lambda: matching.want_role(envoy, world["card"], world["funder"], "Again"),
        Conflict,
        "role_type_id",
    )
    one_event(
        world,
        lambda: matching.withdraw_wanted(envoy, world["card"], world["funder"]),
        "role_wanted_withdrawn",
    )
    refused(
        world,
        lambda: matching.withdraw_wanted(envoy, world["card"], world["funder"]),
        Conflict,
        "role_type_id",
    )


def test_a_claim_fills_a_wanted_role(world, users) -> None:
    commit(
        matching.want_role(users["envoy"], world["card"], world["partner"], "A partner with data")
    )
    change = one_event(
        world,
        lambda: board.claim(users["member"], world["card"], world["partner"], world["police"]),
        "role_claimed",
    )
    assert change.event.data["wanted"] == "A partner with data"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WantedRole)) == 0


def test_who_may_want_a_role(world, users) -> None:
    # The member's Police does not lead it (the LEP proposed it, nobody holds Lead).
    refused(
        world,
        lambda: matching.want_role(users["member"], world["card"], world["funder"], "Money"),
        Forbidden,
    )
    refused(
        world,
        lambda: matching.want_role(users["viewer"], world["card"], world["funder"], "Money"),
        Forbidden,
    )
    # Once Police holds Lead, its members decide.
    commit(board.claim(users["envoy"], world["card"], world["lead"], world["police"]))
    one_event(
        world,
        lambda: matching.want_role(users["member"], world["card"], world["funder"], "Money"),
        "role_wanted",
    )


def test_request_approved_makes_the_claim_in_one_event(world, users) -> None:
    member = users["member"]
    asked = one_event(
        world,
        lambda: matching.request_role(
            member, world["card"], world["lead"], world["police"], "We can lead this."
        ),
        "role_requested",
    )
    request_id = asked.value.id
    assert asked.event.data["message"] == "We can lead this."
    done = one_event(
        world, lambda: matching.approve_request(users["envoy"], request_id), "role_claimed"
    )
    assert done.event.data["request_id"] == request_id
    assert done.event.data["organisation_id"] == world["police"]
    assert db.session.get(RoleRequest, request_id).status == "approved"
    # Decided already: approving, declining or withdrawing it again is refused.
    refused(
        world, lambda: matching.approve_request(users["envoy"], request_id), Conflict, "request_id"
    )
    refused(
        world,
        lambda: matching.decline_request(users["envoy"], request_id, "No"),
        Conflict,
        "request_id",
    )
    refused(world, lambda: matching.withdraw_request(member, request_id), Conflict, "request_id")


def test_request_declined_with_a_reason(world, users) -> None:
    asked = commit(
        matching.request_role(
            users["member"], world["card"], world["funder"], world["police"], "£10k"
        )
    )
    refused(
        world,
        lambda: matching.decline_request(users["envoy"], asked.value.id, " "),
        Invalid,
        "reason",
    )
    # Police does not lead it: its member cannot decide its own request.
    refused(
        world, lambda: matching.decline_request(users["member"], asked.value.id, "No"), Forbidden
    )
    done = one_event(
        world,
        lambda: matching.decline_request(users["envoy"], asked.value.id, "Funded already"),
        "role_request_declined",
    )
    assert done.event.data["reason"] == "Funded already"
    assert db.session.get(RoleRequest, asked.value.id).status == "declined"


def test_request_withdrawn_then_approving_it_is_refused(world, users) -> None:
    asked = commit(
        matching.request_role(
            users["member"], world["card"], world["funder"], world["police"], "£10k"
        )
    )
    # Someone of another organisation cannot withdraw it.
    refused(world, lambda: matching.withdraw_request(world["nurse"], asked.value.id), Forbidden)
    one_event(
        world,
        lambda: matching.withdraw_request(users["member"], asked.value.id),
        "role_request_withdrawn",
    )
    refused(
        world,
        lambda: matching.approve_request(users["envoy"], asked.value.id),
        Conflict,
        "request_id",
    )
    refused(
        world, lambda: matching.approve_request(users["envoy"], 999_999), NotFound, "request_id"
    )


def test_bad_requests_are_refused_with_their_reason(world, users, the_board) -> None:
    member, card = users["member"], world["card"]

    def ask(role: int, organisation: int, message: Any = "Please", actor: Any = member) -> Any:
        return matching.request_role(actor, card, role, organisation, message)

    refused(world, lambda: ask(world["lead"], world["police"], actor=users["viewer"]), Forbidden)
    refused(world, lambda: ask(world["lead"], world["nhs"]), Forbidden)  # another organisation
    refused(
        world, lambda: ask(world["partner"], world["police"]), Invalid, "role_type_id"
    )  # claimed
    refused(
        world,
        lambda: ask(world["lead"], world["police"], "x" * (MESSAGE_MAX + 1)),
        Invalid,
        "message",
    )
    refused(world, lambda: ask(world["lead"], world["police"], ""), Invalid, "message")
    refused(world, lambda: ask(10**6, world["police"]), Invalid, "role_type_id")
    commit(ask(world["lead"], world["police"]))
    refused(world, lambda: ask(world["lead"], world["police"]), Conflict, "role_type_id")  # twice
    commit(board.claim(users["envoy"], card, world["lead"], world["lep"]))
    refused(
        world,
        lambda: matching.request_role(world["nurse"], card, world["lead"], world["nhs"], "Us"),
        Conflict,
        "role_type_id",
    )  # full
    commit(board.claim(users["envoy"], card, world["funder"], world["police"]))
    refused(
        world, lambda: ask(world["funder"], world["police"]), Conflict, "organisation_id"
    )  # holds it
    commit(board.archive(users["envoy"], card, _version(card), True))
    refused(
        world,
        lambda: matching.request_role(world["nurse"], card, world["funder"], world["nhs"], "Us"),
        Invalid,
        "initiative_id",
    )


def _version(initiative_id: int) -> int:
    from tracker.models import Initiative

    return db.session.get(Initiative, initiative_id, populate_existing=True).version


def test_a_member_asks_for_a_by_request_role_rather_than_claiming_it(world, users) -> None:
    error = refused(
        world,
        lambda: board.claim(users["member"], world["card"], world["lead"], world["police"]),
        Forbidden,
    )
    assert "agreed by request" in error.message
    # Envoys, who decide requests, may still place an organisation in it.
    one_event(
        world,
        lambda: board.claim(users["envoy"], world["card"], world["lead"], world["police"]),
        "role_claimed",
    )


def test_brief_is_one_line_and_not_too_long(world, users) -> None:
    envoy = users["envoy"]
    refused(
        world,
        lambda: matching.want_role(envoy, world["card"], world["funder"], "x" * (BRIEF_MAX + 1)),
        Invalid,
        "brief",
    )
    refused(
        world,
        lambda: matching.want_role(envoy, world["card"], world["funder"], "two\nlines"),
        Invalid,
        "brief",
    )
    refused(
        world,
        lambda: matching.want_role(envoy, world["card"], world["funder"], "\u200b"),
        Invalid,
        "brief",
    )


def test_interest_invited_then_accepted(world, users) -> None:
    nurse = world["nurse"]
    registered = one_event(
        world,
        lambda: matching.register_interest(
            nurse, world["card"], world["nhs"], "We'd like to join the detailed discussions"
        ),
        "interest_registered",
    )
    # The words are for the lead organisation and envoys: not in the event every viewer gets.
    assert "message" not in registered.event.data
    interest = registered.value.id
    refused(
        world,
        lambda: matching.register_interest(nurse, world["card"], world["nhs"], "Again"),
        Conflict,
        "organisation_id",
    )
    refused(
        world, lambda: matching.invite(users["member"], interest, world["evaluator"]), Forbidden
    )
    refused(
        world, lambda: matching.accept_invitation(nurse, interest), Conflict, "interest_id"
    )  # not invited yet
    invited = one_event(
        world,
        lambda: matching.invite(users["envoy"], interest, world["evaluator"]),
        "interest_invited",
    )
    assert invited.event.data["role"] == "Evaluator"
    refused(
        world, lambda: matching.accept_invitation(users["member"], interest), Forbidden
    )  # not theirs
    accepted = one_event(world, lambda: matching.accept_invitation(nurse, interest), "role_claimed")
    assert accepted.event.data["interest_id"] == interest
    assert accepted.value.organisation_id == world["nhs"]
    assert db.session.get(Interest, interest).status == "accepted"


def test_interest_invited_then_declined_and_another_closed(world, users) -> None:
    nurse = world["nurse"]
    first = commit(
        matching.register_interest(nurse, world["card"], world["nhs"], "Interested")
    ).value.id
    commit(matching.invite(users["envoy"], first, world["partner"]))
    one_event(
        world,
        lambda: matching.decline_invitation(nurse, first, "Not this year"),
        "interest_declined",
    )
    refused(world, lambda: matching.close_interest(users["envoy"], first), Conflict, "interest_id")
    second = commit(
        matching.register_interest(users["member"], world["card"], world["police"], "Us too")
    ).value.id
    refused(world, lambda: matching.close_interest(users["member"], second), Forbidden)
    one_event(
        world,
        lambda: matching.close_interest(users["envoy"], second, "Covered by the council"),
        "interest_closed",
    )
    assert db.session.get(Interest, second).status == "closed"
    # Closed: a new interest may be registered.
    one_event(
        world,
        lambda: matching.register_interest(
            users["member"], world["card"], world["police"], "Again"
        ),
        "interest_registered",
    )


def test_an_invitation_to_a_role_filled_meanwhile_is_refused_and_stays(world, users) -> None:
    nurse = world["nurse"]
    interest = commit(
        matching.register_interest(nurse, world["card"], world["nhs"], "Interested")
    ).value.id
    commit(matching.invite(users["envoy"], interest, world["evaluator"]))
    commit(board.claim(users["member"], world["card"], world["evaluator"], world["police"]))
    refused(world, lambda: matching.accept_invitation(nurse, interest), Conflict, "role_type_id")
    assert db.session.get(Interest, interest).status == "invited"


def test_the_organisation_a_step_is_about_hears_of_it(world, users) -> None:
    """A declined request reaches the requesting organisation's members; an invitation, the
    invited organisation's; the lead organisation hears of a request (it follows its own
    initiative)."""
    from tracker.models import Notification, User

    def heard(kind: str) -> set[str]:
        rows = db.session.execute(
            sa.select(User.email)
            .join(Notification, Notification.user_id == User.id)
            .join(Event, Event.id == Notification.event_id)
            .where(Event.type == kind)
        )
        return {email for (email,) in rows}

    asked = commit(matching.request_role(world["nurse"], world["card"], world["funder"],
                                         world["nhs"], "£10k"))  # fmt: skip
    assert users["admin"].email in heard("role_requested")  # the LEP leads it
    commit(matching.decline_request(users["envoy"], asked.value.id, "Funded already"))
    assert heard("role_request_declined") >= {world["nurse"].email}
    interest = commit(matching.register_interest(users["member"], world["card"], world["police"],
                                                 "Interested"))  # fmt: skip
    commit(matching.invite(users["envoy"], interest.value.id, world["evaluator"]))
    assert users["member"].email not in heard("interest_registered")  # their own step
    assert users["member"].email in heard("interest_invited")


def test_a_lead_organisation_does_not_decide_its_own_request_nor_register_interest(
    the_board, world, users
) -> None:
    """Police proposed this one, so leads it: its request for Lead goes to an envoy, and it has
    no interest of its own to register."""
    member = users["member"]
    own = make_initiative(the_board, member, title="Police card").id
    asked = commit(matching.request_role(member, own, world["lead"], world["police"], "Us"))
    error = refused(world, lambda: matching.approve_request(member, asked.value.id), Forbidden)
    assert error.message == "Your organisation's own request is decided by an envoy."
    refused(world, lambda: matching.register_interest(member, own, world["police"], "Hi"),
            Conflict, "organisation_id")  # fmt: skip
    one_event(world, lambda: matching.approve_request(users["envoy"], asked.value.id),
              "role_claimed")  # fmt: skip


def test_placing_an_organisation_in_a_role_answers_its_open_request(world, users) -> None:
    asked = commit(matching.request_role(users["member"], world["card"], world["funder"],
                                         world["police"], "£10k"))  # fmt: skip
    placed = one_event(world, lambda: board.claim(users["envoy"], world["card"], world["funder"],
                                                  world["police"]), "role_claimed")  # fmt: skip
    assert placed.event.data["request_id"] == asked.value.id
    assert db.session.get(RoleRequest, asked.value.id).status == "approved"


def test_an_interest_refused_in_its_state_says_where_it_stands(world, users) -> None:
    nurse = world["nurse"]
    interest = commit(matching.register_interest(nurse, world["card"], world["nhs"], "Hi"))
    error = refused(world, lambda: matching.accept_invitation(nurse, interest.value.id), Conflict)
    assert error.message == "This interest has not been invited to a role."
    commit(matching.invite(users["envoy"], interest.value.id, world["partner"]))
    error = refused(world, lambda: matching.invite(users["envoy"], interest.value.id,
                                                    world["partner"]), Conflict)  # fmt: skip
    assert error.message == "This interest has been invited to a role already."
