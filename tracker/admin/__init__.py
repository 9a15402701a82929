"""Administration (organisations, people, boards, everyone's tokens, the audit log) and each
person's own account pages (tokens, sign out everywhere, setting a password from a link).

The operations are plain functions taking the actor (`organisations`, `people`, `boards` with
`board_items`, `tokens`, `links`); each checks the policy, changes rows, writes an audit entry
in the same transaction and never commits. The pages in `views/`, one module per area, are
thin entry points over them, ending each unit of work with `tracker.web.outcomes.carry_out`
(or `unit_of_work.commit_change`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the administration and account pages."""
    # Imported here, not at the top: the operations (and the command line) need none of the
    # pages. Importing an area module registers its routes on the blueprints.
    from tracker.admin import views
    from tracker.admin.views import (  # noqa: F401
        account,
        audit,
        board_items,
        boards,
        organisations,
        overview,
        people,
        recipients,
        tokens,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(views.account_bp)
