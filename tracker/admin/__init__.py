"""Administration (organisations, people, boards, everyone's tokens, the audit log) and each
person's own account pages (tokens, sign out everywhere, setting a password from a link).

The operations are plain functions taking the actor (`organisations`, `people`, `boards`,
`tokens`, `links`); each checks the policy, changes rows, writes an audit entry in the same
transaction and never commits. The pages in `views` and `account_views` are thin entry points
over them, ending each unit of work with `common.commit`.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")
account_bp = Blueprint("account", __name__, url_prefix="/account")


def init_app(app: Flask) -> None:
    from tracker.admin import account_views, views  # noqa: F401  (register the routes)

    app.register_blueprint(bp)
    app.register_blueprint(account_bp)
