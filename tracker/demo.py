"""The demo board, drawn from the LEP workshop (`context/workshop-seed.txt`)."""

from __future__ import annotations

import sqlalchemy as sa

from tracker import accounts, board, defaults
from tracker.board import matching
from tracker.extensions import db
from tracker.models import Board, Organisation, User

BOARD_NAME = "Hertfordshire Local Industrial Strategy"
ORGANISATIONS = [
    "Hertfordshire LEP",
    "Hertfordshire County Council",
    "Watford Borough Council",
    "St Albans City and District Council",
    "Dacorum Borough Council",
    "Stevenage Borough Council",
    "Hertfordshire Constabulary",
    "Hertfordshire and West Essex NHS Integrated Care Board",
    "University of Hertfordshire",
    "BRE Group",
    "Watford and West Herts Chamber of Commerce",
]
# What board cards call them (the full names are on hover and for screen readers).
SHORT_NAMES = {
    "Hertfordshire LEP": "Herts LEP",
    "Hertfordshire County Council": "HCC",
    "Watford Borough Council": "WBC",
    "St Albans City and District Council": "SADC",
    "Dacorum Borough Council": "DBC",
    "Stevenage Borough Council": "SBC",
    "Hertfordshire Constabulary": "Herts Police",
    "Hertfordshire and West Essex NHS Integrated Care Board": "HWE ICB",
    "University of Hertfordshire": "UH",
    "BRE Group": "BRE",
    "Watford and West Herts Chamber of Commerce": "Herts Chamber",
}
# One account per account role; the passwords are printed in the README.
DEMO_ACCOUNTS = [
    ("admin@demo.herts-lep.example", "Alex Admin", "admin", "Hertfordshire LEP", "demo-admin-2026"),
    (
        "envoy@demo.herts-lep.example",
        "Chris Envoy",
        "envoy",
        "Hertfordshire LEP",
        "demo-envoy-2026",
    ),
    (
        "member@demo.herts-police.example",
        "Morgan Member",
        "member",
        "Hertfordshire Constabulary",
        "demo-member-2026",
    ),
    (
        "viewer@demo.herts-lep.example",
        "Vic Viewer",
        "viewer",
        "Watford and West Herts Chamber of Commerce",
        "demo-viewer-2026",
    ),
]


class AlreadySeeded(Exception):
    pass


def create_board(name: str = BOARD_NAME) -> Board:
    """A board with the default shape (`tracker.defaults`), named for the demo unless told."""
    return defaults.create_board(name)


def seed() -> Board:
    """Load the demo board and accounts. Refuses a database that already has boards or users."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Board)) or db.session.scalar(
        sa.select(sa.func.count()).select_from(User)
    ):
        raise AlreadySeeded("The database already holds data; the demo is loaded only once.")
    orgs = {}
    for name in ORGANISATIONS:
        orgs[name] = Organisation(name=name, short_name=SHORT_NAMES.get(name))
        db.session.add(orgs[name])
    db.session.flush()
    users = {}
    for email, name, account_role, org, password in DEMO_ACCOUNTS:
        users[account_role] = accounts.create_user(
            email, organisation_name=org, role=account_role, password=password, name=name
        )
    demo = create_board()
    stage = {s.name: s.id for s in demo.stages}
    challenge = {g.name: g.id for g in demo.grand_challenges}
    role = {r.name: r.id for r in demo.role_types}
    lead = next(r.id for r in demo.role_types if r.is_lead)
    envoy = users["envoy"]

    video = board.propose(
        envoy,
        demo.id,
        {
            "title": "Video companionship",
            "summary": "Video calls to tackle stranger danger and reduce the isolation of "
            "older people.",
            "grand_challenge_id": challenge["Ageing Society"],
            "stage_id": stage["Exploring"],
            "proposing_organisation_id": orgs["Hertfordshire County Council"].id,
            "next_step": "Round-table with adult social care and the Constabulary",
        },
    ).value
    health = board.propose(
        envoy,
        demo.id,
        {
            "title": "Smart health monitoring",
            "summary": "Smart technology to improve health monitoring at home.",
            "grand_challenge_id": challenge["Ageing Society"],
            "stage_id": stage["Proposed"],
            "proposing_organisation_id": orgs[
                "Hertfordshire and West Essex NHS Integrated Care Board"
            ].id,
        },
    ).value
    data = board.propose(
        envoy,
        demo.id,
        {
            "title": "Cross-agency data sharing",
            "summary": "Big data sharing across police, NHS and councils for early intervention.",
            "grand_challenge_id": challenge["AI and Data Economy"],
            "stage_id": stage["Detailed discussions"],
            "proposing_organisation_id": orgs["Hertfordshire Constabulary"].id,
            "barriers": "Information governance agreements between agencies.",
        },
    ).value
    board.claim(envoy, video.id, lead, orgs["Hertfordshire County Council"].id)
    board.claim(envoy, video.id, role["Partner"], orgs["Hertfordshire Constabulary"].id)
    board.claim(
        envoy,
        health.id,
        role["Executive sponsor"],
        orgs["Hertfordshire and West Essex NHS Integrated Care Board"].id,
    )
    board.claim(envoy, health.id, role["Evaluator"], orgs["University of Hertfordshire"].id)
    board.claim(envoy, data.id, role["Data provider"], orgs["Hertfordshire Constabulary"].id)
    board.claim(envoy, data.id, role["Technology supplier"], orgs["BRE Group"].id)
    board.add_comment(
        envoy, data.id, "CTOs agreed at the workshop to explore a shared data platform."
    )
    # Matching (issue 15): a role the data-sharing work is looking for, so that "Where you
    # could help" and the weekly report's Roles wanted have something to show.
    matching.want_role(envoy, data.id, role["Funder"], "£40k for a 6-month pilot")
    return demo
