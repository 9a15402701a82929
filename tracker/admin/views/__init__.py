"""The administration pages (`bp`, under /admin, for administrators only) and each person's
own account pages (`account_bp`, under /account), one module per area:

    overview        /admin/: counts of what there is, the latest audit entries
    organisations   the list; add, rename, deactivate, reactivate
    people          the list, invitations, a person's page, disabling, one-time links
    tokens          everyone's API tokens, revoking them
    boards          the list, creating one, a board's page, renaming it
    recipients      a board's weekly report by e-mail: who gets it, whether mail goes out
    board_items     a board's stages, Grand Challenges and role types
    audit           the audit log
    account         your own tokens, signing out everywhere, setting a password from a link

The pages are thin entry points over the operations beside this package (`organisations`,
`people`, `boards`, `tokens`, `links`). Each POST checks its form, then hands the operation
to `tracker.web.outcomes.carry_out`, which commits and says what happened, or rolls back and
shows why: each reason next to its field and in the error summary (422, or 409 for a
conflict), or as a message for actions that have no fields.

This module makes the blueprints and holds what every page shares; it imports none of the
area modules. `tracker.admin.init_app` imports them, which registers their routes.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect
from flask.typing import ResponseReturnValue
from flask_login import current_user

from tracker import policy
from tracker.accounts import actor
from tracker.web.forms import FORM_EXPIRED

bp = Blueprint("admin", __name__, url_prefix="/admin")
account_bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
def _admins_only() -> ResponseReturnValue | None:
    # Every administration page, whatever its module: sign in first, then be an admin.
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if not policy.may(actor(), "administer"):
        abort(403, "Only administrators can see the administration pages.")
    return None


def form_expired(back: str) -> ResponseReturnValue:
    """The answer to a button whose form token is missing or expired: say so, go `back`."""
    flash(FORM_EXPIRED, "error")
    return redirect(back)
