"""The default board shape: the stages (with WIP limits), Grand Challenges and role types a
new board starts with unless its administrator asks for an empty one. The demo board
(`tracker.demo`) has this shape too."""

from __future__ import annotations

from tracker.extensions import db
from tracker.models import Board, GrandChallenge, RoleType, Stage

# (name, WIP limit): None is no limit.
STAGES = [
    ("Proposed", None),
    ("Exploring", 5),
    ("Detailed discussions", 4),
    ("Business case", 3),
    ("Pilot", 3),
    ("Delivery", None),
    ("Evaluated", None),
    ("Parked", None),
]
GRAND_CHALLENGES = ["Ageing Society", "AI and Data Economy", "Clean Growth", "Future of Mobility"]
# (name, maximum holders, whether it leads the initiative, claim mode): one role type per
# board leads. A Lead, an Executive sponsor or a Funder is agreed between people, so asked
# for ("request"); the rest are claimed, first come first served (issue 15).
ROLE_TYPES = [
    ("Lead", 1, True, "request"),
    ("Executive sponsor", 1, False, "request"),
    ("Partner", None, False, "claim"),
    ("Funder", None, False, "request"),
    ("Data provider", None, False, "claim"),
    ("Technology supplier", None, False, "claim"),
    ("Evaluator", 1, False, "claim"),
]


def create_board(name: str) -> Board:
    """A board with the default stages, Grand Challenges and role types, flushed (the caller
    commits)."""
    new_board = Board(name=name)
    new_board.stages = [
        Stage(name=stage, position=i, wip_limit=limit) for i, (stage, limit) in enumerate(STAGES)
    ]
    new_board.grand_challenges = [
        GrandChallenge(name=name, position=i) for i, name in enumerate(GRAND_CHALLENGES)
    ]
    new_board.role_types = [
        RoleType(name=role, position=i, max_holders=limit, is_lead=leads, claim_mode=mode)
        for i, (role, limit, leads, mode) in enumerate(ROLE_TYPES)
    ]
    db.session.add(new_board)
    db.session.flush()
    return new_board
