"""Domain operations on a board: propose, edit (including RAG), move, archive, claim, release,
comment; and how a board and its initiatives are read.

Each operation is a plain function taking an explicit `actor` and ids. It checks the policy,
validates its input, changes rows and appends exactly one event, all in the caller's
transaction, and returns what it changed with that event (`Change`). It never commits: the
entry point ends the unit of work (`tracker.unit_of_work.commit`), which publishes the event.
On any error it raises a `DomainError`; the caller rolls back, so nothing is half-written and
no sequence number is used.

Where to read on: `initiatives` (propose, edit, move, archive), `claims` (claim, release,
comment), `versions` (optimistic concurrency), `fields` (inputs and `Change`), `reading`,
`listing` (a board's cards as plain rows, for the board page and the API).
"""

from tracker.board.claims import add_comment, claim, release
from tracker.board.fields import EDITABLE_FIELDS, snapshot
from tracker.board.initiatives import archive, edit, move, propose
from tracker.board.listing import (
    ArchivedInitiative,
    BoardCard,
    CardClaim,
    ListedClaim,
    ListedInitiative,
    archived_initiatives,
    board_card,
    board_cards,
    listed_initiatives,
)
from tracker.board.reading import get_board, get_initiative, load_board
from tracker.board.versions import values_at_version
from tracker.operations import MULTI_LINE_FIELDS, Change
from tracker.vocabulary import (
    COMMENT_ADDED,
    INITIATIVE_ARCHIVED,
    INITIATIVE_CREATED,
    INITIATIVE_EDITED,
    INITIATIVE_MOVED,
    INITIATIVE_RESTORED,
    RAG_CHANGED,
    ROLE_CLAIMED,
    ROLE_RELEASED,
)

__all__ = [
    "COMMENT_ADDED",
    "EDITABLE_FIELDS",
    "INITIATIVE_ARCHIVED",
    "INITIATIVE_CREATED",
    "INITIATIVE_EDITED",
    "INITIATIVE_MOVED",
    "INITIATIVE_RESTORED",
    "MULTI_LINE_FIELDS",
    "RAG_CHANGED",
    "ROLE_CLAIMED",
    "ROLE_RELEASED",
    "ArchivedInitiative",
    "BoardCard",
    "CardClaim",
    "Change",
    "ListedClaim",
    "ListedInitiative",
    "add_comment",
    "archive",
    "archived_initiatives",
    "board_card",
    "board_cards",
    "claim",
    "edit",
    "get_board",
    "get_initiative",
    "listed_initiatives",
    "load_board",
    "move",
    "propose",
    "release",
    "snapshot",
    "values_at_version",
]
