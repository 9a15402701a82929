"""The audit log page: every administrative and account-security action, filtered."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from tracker import limits
from tracker.admin import audit
from tracker.admin.forms import AuditFilterForm
from tracker.admin.views import bp
from tracker.extensions import db
from tracker.models import AuditEntry, User
from tracker.web.forms import options


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


@bp.route("/audit")
def audit_page() -> ResponseReturnValue:
    """The audit log, filtered by action, actor, target, text and dates; paged."""
    form = AuditFilterForm(request.args)
    groups = sorted({a.split(".")[0] for a in audit.ACTIONS})
    form.action.choices = options(
        [("", "Any action")]
        + [(f"{g}.", f"Any {audit.TARGET_TYPES.get(g, g.title()).lower()} action") for g in groups]
        + list(audit.ACTIONS.items())
    )
    actors = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .where(User.id.in_(sa.select(AuditEntry.actor_user_id).distinct()))
        .order_by(User.name)
    ).all()
    form.actor.choices = options(
        [("", "Anyone")] + [(str(a.id), f"{a.name} <{a.email}>") for a in actors]
    )
    form.target.choices = options([("", "Anything"), *audit.TARGET_TYPES.items()])
    valid = form.validate()
    filters = audit.Filters()
    if valid:
        actor = form.actor.data or ""
        filters = audit.Filters(
            action=form.action.data or "",
            actor_id=limits.number_arg(actor),
            target_type=form.target.data or "",
            text=(form.q.data or "").strip(),
            since=form.since.data,
            until=form.until.data,
        )
    result = audit.search(
        filters, zone=_zone(), page=limits.number_arg(request.args.get("page")) or 1
    )
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        result=result,
        query=query,
        labels=audit.ACTIONS,
        error_forms=[form] if form.errors else [],
    ), (200 if valid else 422)
