"""The administration's front page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask.typing import ResponseReturnValue

from tracker.admin.views import bp
from tracker.extensions import db
from tracker.models import ApiToken, AuditEntry, Board, Organisation, User


@bp.route("/")
def index() -> ResponseReturnValue:
    """The overview: counts of what there is, and the latest audit entries."""

    def count(model: Any, *where: Any) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return render_template(
        "admin/index.html",
        counts={
            "organisations": count(Organisation, Organisation.active),
            "people": count(User, User.active),
            "invited": count(User, User.password_hash.is_(None)),
            "boards": count(Board),
            "tokens": count(ApiToken, ApiToken.revoked_at.is_(None)),
        },
        recent=db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(5)
        ).all(),
    )
