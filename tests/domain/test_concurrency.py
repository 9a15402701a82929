"""Races decided by the database, with real threads and one connection each to a file
SQLite database (the same file the app uses)."""

from __future__ import annotations

import threading
from collections import Counter

import sqlalchemy as sa

from tests.conftest import last_seq
from tests.factories import make_initiative, make_organisation, role_type
from tracker import board
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.models import Claim, User

THREADS = 20


def run_together(app, work) -> Counter:
    """Start `work(i)` in THREADS threads at the same instant; count what each returned."""
    barrier = threading.Barrier(THREADS)
    results: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        with app.app_context():
            try:
                connection = db.session.connection()  # its own pooled connection
                assert connection is not None
                barrier.wait(timeout=30)
                outcome = work(i)
            except Conflict:
                db.session.rollback()
                outcome = "conflict"
            except Exception as error:  # reported, so the test shows what went wrong
                db.session.rollback()
                outcome = f"error: {type(error).__name__}: {error}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(results)


def test_twenty_organisations_racing_for_lead_leave_exactly_one_holder(app, the_board, users):
    initiative_id = make_initiative(the_board, users["envoy"]).id
    lead = role_type(the_board, "Lead").id
    organisations = [make_organisation(f"Racer {i}").id for i in range(THREADS)]
    db.session.commit()
    envoy_id = users["envoy"].id
    board_id = the_board.id
    before = last_seq(board_id)
    db.session.remove()

    def claim_lead(i: int) -> str:
        actor = db.session.get(User, envoy_id)
        change = board.claim(actor, initiative_id, lead, organisations[i])
        db.session.commit()
        return "claimed" if change.event else "nothing"

    outcomes = run_together(app, claim_lead)

    assert outcomes == Counter({"claimed": 1, "conflict": THREADS - 1})
    holders = db.session.scalars(
        sa.select(Claim).where(Claim.initiative_id == initiative_id, Claim.role_type_id == lead)
    ).all()
    assert len(holders) == 1
    assert last_seq(board_id) == before + 1


def test_twenty_stale_edits_of_one_version_leave_exactly_one_winner(app, the_board, users):
    initiative_id = make_initiative(the_board, users["envoy"]).id
    envoy_id = users["envoy"].id
    board_id = the_board.id
    before = last_seq(board_id)
    db.session.remove()

    def edit_title(i: int) -> str:
        actor = db.session.get(User, envoy_id)
        board.edit(actor, initiative_id, 1, {"title": f"Writer {i}"})
        db.session.commit()
        return "edited"

    outcomes = run_together(app, edit_title)

    assert outcomes == Counter({"edited": 1, "conflict": THREADS - 1})
    assert last_seq(board_id) == before + 1


def test_the_database_itself_refuses_a_second_holder_of_an_exclusive_slot(app, the_board, users):
    """The constraint, not only the check in Python: a raw second insert into slot 0 fails."""
    initiative = make_initiative(the_board, users["envoy"])
    lead = role_type(the_board, "Lead")
    first, second = make_organisation(), make_organisation()
    db.session.commit()
    board.claim(users["envoy"], initiative.id, lead.id, first.id)
    db.session.commit()
    db.session.add(
        Claim(
            initiative_id=initiative.id,
            role_type_id=lead.id,
            organisation_id=second.id,
            slot=0,
            claimed_by_id=users["envoy"].id,
        )
    )
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
    else:
        raise AssertionError("a second Lead was stored")
