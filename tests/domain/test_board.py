"""Domain operations, without HTTP: each change appends exactly one event with the next
sequence number; a refused change writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import last_seq
from tests.factories import (
    challenge,
    make_board,
    make_initiative,
    make_organisation,
    make_user,
    role_type,
    stage,
)
from tracker import board
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.extensions import db
from tracker.models import Claim, Comment, Event, Initiative


def events_of(board_id: int) -> list[Event]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(Event).where(Event.board_id == board_id).order_by(Event.seq))
    )


def commit(change: board.Change) -> board.Change:
    db.session.commit()
    return change


def test_propose_creates_initiative_with_version_1_and_one_event(the_board, users):
    before = last_seq(the_board.id)
    change = commit(
        board.propose(
            users["member"],
            the_board.id,
            {
                "title": "  Video companionship ",
                "grand_challenge_id": challenge(the_board),
                "next_step_due": "2026-12-01",
            },
        )
    )
    initiative = change.value
    assert initiative.title == "Video companionship"
    assert initiative.version == 1
    assert initiative.stage_id == stage(the_board, "Proposed")
    assert initiative.proposing_organisation_id == users["member"].organisation_id
    assert initiative.next_step_due == date(2026, 12, 1)
    assert initiative.created_at.tzinfo is not None
    events = events_of(the_board.id)
    assert [e.seq for e in events] == [before + 1]
    assert events[0].type == board.INITIATIVE_CREATED
    assert events[0].data["initiative"]["title"] == "Video companionship"
    assert events[0].actor_organisation_name == "Police"


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"summary": "x" * 2001}, "summary"),
        ({"next_step": "x" * 281}, "next_step"),
        ({"rag": "purple"}, "rag"),
        ({"rag": "red"}, "rag_reason"),
        ({"next_step_due": "next week"}, "next_step_due"),
        ({"grand_challenge_id": 99999}, "grand_challenge_id"),
        ({"stage_id": 99999}, "stage_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_propose_refuses_bad_input_naming_the_field(the_board, users, fields, bad_field):
    before = last_seq(the_board.id)
    base = {"title": "A title", "grand_challenge_id": challenge(the_board)}
    with pytest.raises(Invalid) as error:
        board.propose(users["envoy"], the_board.id, {**base, **fields})
    db.session.rollback()
    assert bad_field in error.value.fields
    assert last_seq(the_board.id) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Initiative)) == 0


def test_member_proposes_only_for_own_organisation(the_board, users):
    other = make_organisation("Someone else")
    with pytest.raises(Forbidden):
        board.propose(
            users["member"],
            the_board.id,
            {
                "title": "Not ours",
                "grand_challenge_id": challenge(the_board),
                "proposing_organisation_id": other.id,
            },
        )


def test_viewer_cannot_propose(the_board, users):
    with pytest.raises(Forbidden):
        board.propose(
            users["viewer"],
            the_board.id,
            {"title": "x", "grand_challenge_id": challenge(the_board)},
        )


def test_edit_bumps_version_and_records_changed_fields(the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Old")
    before = last_seq(the_board.id)
    change = commit(
        board.edit(users["envoy"], initiative.id, 1, {"title": "New", "summary": "Why"})
    )
    assert change.value.version == 2
    assert change.value.title == "New"
    (event,) = events_of(the_board.id)[-1:]
    assert event.seq == before + 1
    assert event.type == board.INITIATIVE_EDITED
    assert event.data["changes"] == {
        "title": {"from": "Old", "to": "New"},
        "summary": {"from": "", "to": "Why"},
    }
    assert event.data["version"] == 2


def test_edit_with_stale_version_conflicts_and_changes_nothing(the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    commit(board.edit(users["envoy"], initiative.id, 1, {"title": "First writer"}))
    before = last_seq(the_board.id)
    with pytest.raises(Conflict) as error:
        board.edit(users["envoy"], initiative.id, 1, {"title": "Second writer"})
    db.session.rollback()
    assert error.value.current.version == 2
    assert error.value.current.title == "First writer"
    db.session.expire_all()
    assert db.session.get(Initiative, initiative.id).title == "First writer"
    assert last_seq(the_board.id) == before


def test_edit_that_changes_nothing_writes_no_event(the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Same")
    before = last_seq(the_board.id)
    change = commit(board.edit(users["envoy"], initiative.id, 1, {"title": "Same"}))
    assert change.event is None
    assert change.value.version == 1
    assert last_seq(the_board.id) == before


def test_set_rag_needs_a_reason_and_records_rag_changed(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    with pytest.raises(Invalid) as error:
        board.edit(users["envoy"], initiative.id, 1, {"rag": "amber", "rag_reason": ""})
    db.session.rollback()
    assert "rag_reason" in error.value.fields
    change = commit(
        board.edit(
            users["envoy"], initiative.id, 1, {"rag": "amber", "rag_reason": "Funding unclear"}
        )
    )
    assert change.value.rag == "amber"
    assert change.event.type == board.RAG_CHANGED
    assert change.event.data["changes"]["rag"] == {"from": "not_set", "to": "amber"}


def test_member_edits_only_initiatives_their_organisation_is_involved_in(the_board, users):
    theirs = make_initiative(the_board, users["member"])
    other = make_initiative(the_board, users["envoy"])
    commit(board.edit(users["member"], theirs.id, 1, {"summary": "ours"}))
    with pytest.raises(Forbidden):
        board.edit(users["member"], other.id, 1, {"summary": "not ours"})
    db.session.rollback()
    # Holding a role makes them involved.
    lead = role_type(the_board, "Partner")
    commit(board.claim(users["envoy"], other.id, lead.id, users["member"].organisation_id))
    assert (
        commit(board.edit(users["member"], other.id, 1, {"summary": "now ours"})).value.version == 2
    )


def test_move_changes_stage_and_renumbers_both_cells(the_board, users):
    a = make_initiative(the_board, users["envoy"], title="A")
    b = make_initiative(the_board, users["envoy"], title="B")
    c = make_initiative(the_board, users["envoy"], title="C")
    exploring = stage(the_board, "Exploring")
    x = make_initiative(the_board, users["envoy"], title="X", stage_id=exploring)
    change = commit(board.move(users["envoy"], b.id, 1, exploring, 0))
    assert change.value.stage_id == exploring
    assert change.value.version == 2
    db.session.expire_all()
    positions = {
        i.title: (i.stage_id, i.position) for i in db.session.scalars(sa.select(Initiative))
    }
    proposed = stage(the_board, "Proposed")
    assert positions == {
        "A": (proposed, 0),
        "C": (proposed, 1),
        "B": (exploring, 0),
        "X": (exploring, 1),
    }
    assert change.event.type == board.INITIATIVE_MOVED
    assert change.event.data["from"]["stage"] == "Proposed"
    assert change.event.data["to"] == {
        "stage_id": exploring,
        "stage": "Exploring",
        "grand_challenge_id": b.grand_challenge_id,
        "position": 0,
    }
    # Siblings moved along, but their content did not change: their versions stay.
    db.session.expire_all()
    assert db.session.get(Initiative, a.id).version == 1
    assert db.session.get(Initiative, c.id).version == 1
    assert db.session.get(Initiative, x.id).version == 1


def test_move_past_the_end_puts_the_card_last(the_board, users):
    a = make_initiative(the_board, users["envoy"])
    b = make_initiative(the_board, users["envoy"])
    commit(board.move(users["envoy"], a.id, 1, a.stage_id, 50))
    db.session.expire_all()
    assert db.session.get(Initiative, a.id).position == 1
    assert db.session.get(Initiative, b.id).position == 0


@pytest.mark.parametrize(
    ("kwargs", "error_type", "field"),
    [
        ({"position": -1}, Invalid, "position"),
        ({"stage_id": 99999}, Invalid, "stage_id"),
        ({"stage_id": "2"}, Invalid, "stage_id"),
        ({"version": 7}, Conflict, "version"),
        ({"grand_challenge_id": 99999}, Invalid, "grand_challenge_id"),
    ],
)
def test_move_refusals_write_nothing(the_board, users, kwargs, error_type, field):
    initiative = make_initiative(the_board, users["envoy"])
    before = last_seq(the_board.id)
    args = {"version": 1, "stage_id": stage(the_board, "Exploring"), "position": 0}
    args.update(kwargs)
    with pytest.raises(error_type) as error:
        board.move(users["envoy"], initiative.id, **args)
    db.session.rollback()
    assert field in error.value.fields
    assert last_seq(the_board.id) == before
    db.session.expire_all()
    assert db.session.get(Initiative, initiative.id).stage_id == stage(the_board, "Proposed")


def test_move_to_a_stage_of_another_board_is_refused(the_board, users):
    board_two = make_board("Other")
    db.session.commit()
    initiative = make_initiative(the_board, users["envoy"])
    with pytest.raises(Invalid) as error:
        board.move(users["envoy"], initiative.id, 1, board_two.stages[1].id, 0)
    assert "stage_id" in error.value.fields


def test_archive_and_restore_are_envoy_actions_with_events(the_board, users):
    initiative = make_initiative(the_board, users["member"])
    with pytest.raises(Forbidden):
        board.archive(users["member"], initiative.id, 1)
    db.session.rollback()
    archived = commit(board.archive(users["envoy"], initiative.id, 1))
    assert archived.value.archived is True
    assert archived.event.type == board.INITIATIVE_ARCHIVED
    assert board.board_cards(the_board.id) == []
    with pytest.raises(Invalid):
        board.move(users["envoy"], initiative.id, 2, stage(the_board, "Pilot"), 0)
    db.session.rollback()
    restored = commit(board.archive(users["envoy"], initiative.id, 2, archived=False))
    assert restored.event.type == board.INITIATIVE_RESTORED
    assert [i.id for i in board.board_cards(the_board.id)] == [initiative.id]


def test_claim_and_release_record_events(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    partner = role_type(the_board, "Partner")
    before = last_seq(the_board.id)
    claimed = commit(
        board.claim(users["member"], initiative.id, partner.id, users["member"].organisation_id)
    )
    assert claimed.event.seq == before + 1
    assert claimed.event.type == board.ROLE_CLAIMED
    assert claimed.event.data["organisation"] == "Police"
    assert claimed.event.data["role"] == "Partner"
    released = commit(board.release(users["member"], claimed.value.id))
    assert released.event.seq == before + 2
    assert released.event.type == board.ROLE_RELEASED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0


def test_exclusive_role_has_one_holder(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    lead = role_type(the_board, "Lead")
    other = make_organisation("Council")
    commit(board.claim(users["envoy"], initiative.id, lead.id, other.id))
    before = last_seq(the_board.id)
    with pytest.raises(Conflict) as error:
        board.claim(users["envoy"], initiative.id, lead.id, users["member"].organisation_id)
    db.session.rollback()
    assert "role_type_id" in error.value.fields
    assert "Council" in error.value.message
    assert last_seq(the_board.id) == before


def test_non_exclusive_role_takes_many_holders_but_each_organisation_once(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    partner = role_type(the_board, "Partner")
    for _ in range(3):
        commit(board.claim(users["envoy"], initiative.id, partner.id, make_organisation().id))
    org = make_organisation()
    commit(board.claim(users["envoy"], initiative.id, partner.id, org.id))
    with pytest.raises(Conflict):
        board.claim(users["envoy"], initiative.id, partner.id, org.id)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 4


def test_released_exclusive_role_can_be_claimed_again(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    lead = role_type(the_board, "Lead")
    first = commit(board.claim(users["envoy"], initiative.id, lead.id, make_organisation().id))
    commit(board.release(users["envoy"], first.value.id))
    second = commit(
        board.claim(users["envoy"], initiative.id, lead.id, users["member"].organisation_id)
    )
    assert second.value.slot == 0


def test_member_cannot_claim_for_or_release_another_organisation(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    partner = role_type(the_board, "Partner")
    other = make_organisation("Other org")
    db.session.commit()
    with pytest.raises(Forbidden):
        board.claim(users["member"], initiative.id, partner.id, other.id)
    db.session.rollback()
    claimed = commit(board.claim(users["envoy"], initiative.id, partner.id, other.id))
    with pytest.raises(Forbidden):
        board.release(users["member"], claimed.value.id)


def test_deactivated_organisation_cannot_claim(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    gone = make_organisation("Gone", active=False)
    with pytest.raises(Invalid) as error:
        board.claim(users["envoy"], initiative.id, role_type(the_board, "Partner").id, gone.id)
    assert "organisation_id" in error.value.fields


def test_viewer_changes_nothing(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    viewer = users["viewer"]
    before = last_seq(the_board.id)
    attempts = [
        lambda: board.edit(viewer, initiative.id, 1, {"title": "x"}),
        lambda: board.move(viewer, initiative.id, 1, stage(the_board, "Pilot"), 0),
        lambda: board.archive(viewer, initiative.id, 1),
        lambda: board.claim(
            viewer, initiative.id, role_type(the_board, "Partner").id, viewer.organisation_id
        ),
        lambda: board.add_comment(viewer, initiative.id, "hello"),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
        db.session.rollback()
    assert last_seq(the_board.id) == before


def test_comment_is_stored_with_author_organisation_and_event(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    change = commit(board.add_comment(users["member"], initiative.id, "  Met the ICB today. "))
    assert change.value.body == "Met the ICB today."
    assert change.value.organisation_id == users["member"].organisation_id
    assert change.event.type == board.COMMENT_ADDED
    with pytest.raises(Invalid):
        board.add_comment(users["member"], initiative.id, "   ")
    db.session.rollback()
    with pytest.raises(Invalid):
        board.add_comment(users["member"], initiative.id, "x" * 5001)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_unknown_ids_are_not_found(the_board, users):
    with pytest.raises(NotFound):
        board.edit(users["envoy"], 424242, 1, {"title": "x"})
    with pytest.raises(NotFound):
        board.release(users["envoy"], 424242)
    with pytest.raises(NotFound):
        board.propose(users["envoy"], 424242, {"title": "x", "grand_challenge_id": 1})


def test_sequence_numbers_run_without_gaps_across_failures(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    commit(board.edit(users["envoy"], initiative.id, 1, {"title": "one"}))
    with pytest.raises(Conflict):
        board.edit(users["envoy"], initiative.id, 1, {"title": "stale"})
    db.session.rollback()
    commit(board.add_comment(users["envoy"], initiative.id, "two"))
    with pytest.raises(Invalid):
        board.add_comment(users["envoy"], initiative.id, "")
    db.session.rollback()
    commit(board.move(users["envoy"], initiative.id, 2, stage(the_board, "Pilot"), 0))
    seqs = [e.seq for e in events_of(the_board.id)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert last_seq(the_board.id) == len(seqs) == 4


def test_times_read_back_timezone_aware_utc(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    db.session.expire_all()
    fresh = db.session.get(Initiative, initiative.id)
    assert fresh.created_at.utcoffset().total_seconds() == 0
    assert events_of(the_board.id)[0].at.tzinfo is not None


def test_other_user_in_other_org_cannot_edit(the_board, users):
    initiative = make_initiative(the_board, users["member"])
    stranger = make_user("member")
    with pytest.raises(Forbidden):
        board.edit(stranger, initiative.id, 1, {"title": "mine now"})


# --- field-level conflicts ------------------------------------------------------------------


def test_disjoint_stale_edits_both_apply(the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    commit(board.edit(users["envoy"], initiative.id, 1, {"title": "Envoy's title"}))
    # The member loaded version 1 too, and changes only the next step.
    second = commit(board.edit(users["envoy"], initiative.id, 1, {"next_step": "Call the ICB"}))
    assert second.value.version == 3
    assert second.value.title == "Envoy's title"
    assert second.value.next_step == "Call the ICB"
    assert second.event.data["changes"] == {"next_step": {"from": "", "to": "Call the ICB"}}


def test_overlapping_stale_edit_is_refused_naming_fields_and_current_values(the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    commit(board.edit(users["envoy"], initiative.id, 1, {"title": "Theirs", "summary": "S"}))
    before = last_seq(the_board.id)
    with pytest.raises(Conflict) as error:
        board.edit(users["envoy"], initiative.id, 1, {"title": "Mine", "barriers": "none"})
    db.session.rollback()
    assert set(error.value.fields) == {"title"}
    assert "'Theirs'" in error.value.fields["title"]
    assert error.value.current.title == "Theirs"
    assert last_seq(the_board.id) == before


def test_stale_move_applies_after_an_edit_but_not_after_another_move(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    commit(board.edit(users["envoy"], initiative.id, 1, {"summary": "edited"}))
    moved = commit(board.move(users["envoy"], initiative.id, 1, stage(the_board, "Exploring"), 0))
    assert moved.value.version == 3
    with pytest.raises(Conflict) as error:
        board.move(users["envoy"], initiative.id, 2, stage(the_board, "Pilot"), 0)
    assert "stage_id" in error.value.fields


# Every editable field with the value it had at version 1 (as a client sends it back
# unchanged) and a new value.
UNCHANGED_AND_NEW = {
    "title": ("Original", "New title"),
    "summary": ("", "New summary"),
    "next_step": ("", "Call the ICB"),
    "next_step_due": (None, "2026-12-01"),
    "barriers": ("", "Funding"),
}


@pytest.mark.parametrize("other_change", ["moved to another stage", "edited another field"])
@pytest.mark.parametrize("field", [*board.EDITABLE_FIELDS])
def test_stale_edit_sending_back_unchanged_fields_is_no_conflict(
    the_board, users, field, other_change
):
    """The edit page sends every field; a field the client did not change, and nobody else
    changed, must not conflict with someone else's move or edit (issue: "grand_challenge_id
    changed by someone else" after a move within the same Grand Challenge)."""
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    form = {
        "title": "Original",
        "summary": "",
        "grand_challenge_id": initiative.grand_challenge_id,
        "rag": "not_set",
        "rag_reason": "",
        "next_step": "",
        "next_step_due": None,
        "barriers": "",
    }
    assert set(form) == set(board.EDITABLE_FIELDS)
    if other_change == "moved to another stage":
        commit(board.move(users["admin"], initiative.id, 1, stage(the_board, "Exploring"), 0))
    else:
        # Someone else's edit of another field: this client's form leaves that field out.
        other = "barriers" if field != "barriers" else "summary"
        commit(board.edit(users["admin"], initiative.id, 1, {other: "someone else's"}))
        del form[other]
    # The form as loaded at version 1, with `field` changed where it takes free text.
    if field in UNCHANGED_AND_NEW:
        form[field] = UNCHANGED_AND_NEW[field][1]
    change = commit(board.edit(users["envoy"], initiative.id, 1, form))
    if field in UNCHANGED_AND_NEW:
        assert change.value.version == 3
        assert str(getattr(change.value, field)) == UNCHANGED_AND_NEW[field][1]
    else:
        assert change.event is None and change.value.version == 2


THEIR_CHANGES = {
    "set the RAG status with a reason": {"rag": "red", "rag_reason": "Funding fell through"},
    "edited the summary": {"summary": "Their summary"},
    "set the due date": {"next_step_due": "2026-12-01"},
    "moved it to another Grand Challenge": {"grand_challenge_id": "Clean Growth"},
}


@pytest.mark.parametrize("theirs", THEIR_CHANGES.values(), ids=THEIR_CHANGES.keys())
def test_stale_full_form_keeps_the_fields_someone_else_changed_and_applies_mine(
    the_board, users, theirs
):
    """The edit form sends every field as loaded. Fields the client left as they were must
    not undo someone else's change to them, nor conflict with it: theirs stands, mine
    (the title) applies."""
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    form = {
        "title": "Original",
        "summary": "",
        "grand_challenge_id": initiative.grand_challenge_id,
        "rag": "not_set",
        "rag_reason": "",
        "next_step": "",
        "next_step_due": None,
        "barriers": "",
    }
    their = dict(theirs)
    if "grand_challenge_id" in their:
        their["grand_challenge_id"] = challenge(the_board, their["grand_challenge_id"])
    commit(board.edit(users["admin"], initiative.id, 1, their))
    change = commit(board.edit(users["envoy"], initiative.id, 1, {**form, "title": "Mine"}))
    assert change.value.title == "Mine"
    for name, value in their.items():
        assert str(getattr(change.value, name)) == str(value), name
    assert set(change.event.data["changes"]) == {"title"}


def test_a_field_changed_and_changed_back_since_is_no_conflict(the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    commit(board.edit(users["envoy"], initiative.id, 1, {"title": "Interim"}))
    commit(board.edit(users["envoy"], initiative.id, 2, {"title": "Original"}))
    change = commit(board.edit(users["admin"], initiative.id, 1, {"title": "Mine"}))
    assert change.value.title == "Mine"


def test_a_version_from_the_future_is_refused(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    with pytest.raises(Conflict) as error:
        board.edit(users["envoy"], initiative.id, 5, {"summary": "x"})
    assert "version" in error.value.fields


def test_an_operation_keeps_what_the_session_held_before_it_took_the_lock(the_board, users):
    """Taking the board's lock forgets what was read before it (rows are read again as
    committed), but never drops a change made earlier in the same unit of work."""
    initiative = make_initiative(the_board, users["envoy"])
    envoy = users["envoy"]
    # Loaded now, so that nothing the operation reads before its lock flushes the change.
    assert envoy.is_active and envoy.organisation.name
    db.session.get(Initiative, initiative.id).summary = "set before the operation"
    board.add_comment(envoy, initiative.id, "Met the CTOs today.")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Initiative, initiative.id).summary == "set before the operation"
