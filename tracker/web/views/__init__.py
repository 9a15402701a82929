"""The pages' routes, by area; importing this package registers them on `tracker.web.bp`."""

from tracker.web.views import (
    actions,
    board,
    help_page,
    initiative,
    layout,
    matching,
    notifications,
    organisation,
    signin,
    unsubscribe,
)

__all__ = [
    "actions",
    "board",
    "help_page",
    "initiative",
    "layout",
    "matching",
    "notifications",
    "organisation",
    "signin",
    "unsubscribe",
]
