"""`/help`: how the tracker works, for partner staff, envoys, the programme office and
integrators, with each board's stages as they are now. Signed in only: anonymous visitors see
only the sign-in page (the brief)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import orm

from tracker import policy
from tracker.extensions import db
from tracker.models import Board
from tracker.vocabulary import AccountRole
from tracker.web import bp


class Permission(NamedTuple):
    """One row of the permission table: what, and for each account role whether (and how)."""

    action: str
    allowed: list[str]


# (what, the policy action, what a member may do where it is narrower than "yes"). "edit" is
# `policy.may_edit` on an initiative the actor's organisation proposed.
_TABLE = [
    ("See boards, initiatives, history and reports", "view", None),
    ("Propose an initiative", "propose", "for their own organisation"),
    ("Edit or move an initiative", "edit", "where their organisation proposed it or holds a role"),
    ("Archive or restore an initiative", "archive", None),
    ("Claim a role", "claim", "for their own organisation"),
    ("Release a role", "release", "their own organisation's"),
    ("Add a progress note", "comment", None),
    ("Export the weekly report (CSV, XLSX, JSON)", "export", None),
    ("Administer boards, people and organisations", "administer", None),
]


def _may(role: AccountRole, action: str) -> bool:
    """Whether an active account of `role` may do `action` at all, as the policy decides."""
    someone: Any = SimpleNamespace(role=role.value, is_active=True, organisation_id=0)
    if action == "edit":
        own = SimpleNamespace(proposing_organisation_id=0, claims=[])
        return policy.may_edit(someone, own)
    return policy.may(someone, action)


def permission_table() -> list[Permission]:
    """The permission table as `tracker.policy` enforces it: a row per action, a cell per
    account role (admin, envoy, member, viewer)."""
    rows = []
    for what, action, member_note in _TABLE:
        cells = []
        for role in AccountRole:
            if not _may(role, action):
                cells.append("No")
            elif role is AccountRole.MEMBER and member_note is not None:
                cells.append(f"Yes, {member_note}")
            else:
                cells.append("Yes")
        rows.append(Permission(what, cells))
    return rows


@bp.route("/help")
@login_required
def help_page() -> ResponseReturnValue:
    boards = list(
        db.session.scalars(
            sa.select(Board).options(orm.selectinload(Board.stages)).order_by(Board.id)
        )
    )
    return render_template(
        "web/help.html",
        permissions=permission_table(),
        roles=[role.label for role in AccountRole],
        boards=boards,
    )
