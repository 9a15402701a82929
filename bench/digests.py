"""Digests: the time to build one day's digests for 500 people over a board of 1,000
initiatives and 10,000 events of that day (the notifications issue's target: 10 s).

    .venv/bin/python -m bench.digests [--people 500] [--initiatives 1000] [--events 10000]

A scratch SQLite database (the real migrations), filled straight into the tables: up to 25
organisations of 20 people (one envoy each), every person wanting a daily digest; each
initiative proposed by one organisation with a Partner role held by another; the day's events
alternate moves and progress notes, spread over the day, each with a notification for every
person of the two organisations involved but its author (what `notifications.fan_out` writes).
`digest.due` then builds and queues every digest, once: its wall time, and how many it
queued, are printed.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

DAY_START = datetime(2026, 11, 24, 8, tzinfo=UTC)  # Tuesday 08:00 London (GMT)


def seed(people: int, initiatives: int, events: int) -> dict[str, Any]:
    from tracker import demo
    from tracker.extensions import db
    from tracker.models import (
        Claim,
        Event,
        Initiative,
        MailPreference,
        Notification,
        Organisation,
        User,
    )

    rng = random.Random(48)
    board = demo.create_board("Digest bench")
    db.session.flush()
    stages = [(s.id, s.name) for s in board.stages]
    lanes = [g.id for g in board.grand_challenges]
    partner = next(r.id for r in board.role_types if r.name == "Partner")
    orgs = [Organisation(name=f"Partner {i}") for i in range(max(2, min(25, people // 20)))]
    db.session.add_all(orgs)
    db.session.flush()
    users = []
    for i in range(people):
        org = orgs[i % len(orgs)]
        users.append(
            {
                "email": f"person{i}@example.org",
                "name": f"Person {i}",
                "role": "envoy" if i < len(orgs) else "member",
                "organisation_id": org.id,
                "active": True,
                "created_at": DAY_START - timedelta(days=30),
            }
        )
    db.session.execute(sa.insert(User), users)
    user_rows = db.session.execute(sa.select(User.id, User.organisation_id)).all()
    members: dict[int, list[int]] = {}
    for user_id, org_id in user_rows:
        members.setdefault(org_id, []).append(user_id)
    db.session.execute(
        sa.insert(MailPreference),
        [
            {"user_id": uid, "mention_email": True, "digest": "daily", "unsubscribe_generation": 0}
            for uid, _ in user_rows
        ],
    )
    created = DAY_START - timedelta(days=20)
    rows = []
    for i in range(initiatives):
        stage_id = stages[i % len(stages)][0]
        rows.append(
            {
                "board_id": board.id,
                "title": f"Initiative {i}",
                "summary": "",
                "grand_challenge_id": lanes[i % len(lanes)],
                "stage_id": stage_id,
                "position": i,
                "rag": rng.choice(["red", "amber", "green", "not_set"]),
                "rag_reason": "A reason",
                "next_step": "",
                "barriers": "",
                "proposing_organisation_id": orgs[i % len(orgs)].id,
                "archived": False,
                "version": 1,
                "created_at": created,
                "updated_at": created,
                "stage_entered_at": created,
            }
        )
    db.session.execute(sa.insert(Initiative), rows)
    initiative_rows = db.session.execute(
        sa.select(Initiative.id, Initiative.proposing_organisation_id)
    ).all()
    claimant = user_rows[0][0]
    claims = []
    involved: dict[int, tuple[int, int]] = {}
    for n, (initiative_id, proposer) in enumerate(initiative_rows):
        other = orgs[(n + 7) % len(orgs)].id
        involved[initiative_id] = (proposer, other)
        claims.append(
            {
                "initiative_id": initiative_id,
                "role_type_id": partner,
                "organisation_id": other,
                "slot": None,
                "claimed_by_id": claimant,
                "claimed_at": created,
            }
        )
    db.session.execute(sa.insert(Claim), claims)
    event_rows = []
    for n in range(events):
        initiative_id = initiative_rows[n % len(initiative_rows)][0]
        author_org = involved[initiative_id][n % 2]
        author = members[author_org][n % len(members[author_org])]
        at = DAY_START + timedelta(seconds=n * (86_000 / events))
        if n % 2:
            kind, data = "comment_added", {"comment_id": n, "body": f"Note {n}"}
        else:
            (a_id, a_name), (b_id, b_name) = stages[1], stages[2]
            kind = "initiative_moved"
            data = {
                "from": {"stage_id": a_id, "stage": a_name},
                "to": {"stage_id": b_id, "stage": b_name, "grand_challenge_id": lanes[0],
                       "position": 0},
                "version": 2,
            }  # fmt: skip
        event_rows.append(
            {
                "board_id": board.id,
                "seq": n + 1,
                "type": kind,
                "initiative_id": initiative_id,
                "actor_user_id": author,
                "actor_organisation_id": author_org,
                "actor_name": f"Person {author}",
                "actor_organisation_name": f"Partner {author_org}",
                "at": at,
                "data": data,
            }
        )
    db.session.execute(sa.insert(Event), event_rows)
    event_ids = db.session.execute(
        sa.select(Event.id, Event.initiative_id, Event.actor_user_id, Event.at)
    ).all()
    notes = []
    for event_id, initiative_id, author, at in event_ids:
        for org in involved[initiative_id]:
            for user_id in members[org]:
                if user_id != author:
                    notes.append(
                        {"user_id": user_id, "event_id": event_id, "reason": "following",
                         "created_at": at}
                    )  # fmt: skip
    db.session.execute(sa.insert(Notification), notes)
    db.session.commit()
    return {"notifications": len(notes)}


def measure(people: int, initiatives: int, events: int) -> dict[str, float]:
    """{"seed_s", "build_s", "queued", "notifications", "characters"} for one scratch database."""
    from flask_migrate import upgrade

    from bench.servers import quiet_upgrade
    from tracker import create_app
    from tracker.extensions import db
    from tracker.mail import digest
    from tracker.models import OutboxMessage

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"DATABASE_URL": f"sqlite:///{Path(tmp) / 'digests.sqlite3'}", "SECRET_KEY": "bench"}
        )
        with app.app_context():
            quiet_upgrade(upgrade)
            started = time.perf_counter()
            seeded = seed(people, initiatives, events)
            seeding = time.perf_counter() - started
            started = time.perf_counter()
            queued = digest.due(DAY_START + timedelta(days=1, minutes=5))
            building = time.perf_counter() - started
            size = db.session.scalar(
                sa.select(sa.func.sum(sa.func.length(OutboxMessage.body_text)))
            )
            db.engine.dispose()
    return {
        "seed_s": seeding,
        "build_s": building,
        "queued": queued,
        "notifications": seeded["notifications"],
        "characters": size or 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--initiatives", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    result = measure(args.people, args.initiatives, args.events)
    print(
        f"digests: {args.people} people, {args.initiatives} initiatives, {args.events} events "
        f"({result['notifications']} notifications) seeded in {result['seed_s']:.1f} s"
    )
    print(
        f"digests: built and queued {result['queued']} daily digests in {result['build_s']:.2f} s "
        f"({result['build_s'] / max(result['queued'], 1) * 1000:.1f} ms each; "
        f"{result['characters']:,} characters of text); target 10 s"
    )


if __name__ == "__main__":
    main()
