"""Which cards of a board a view shows: the board page's filters and the API's, one rule.

A filter comes from a URL's query string (so a view can be bookmarked and shared) and is
checked against the board: an unknown parameter value is refused with `Invalid` naming the
parameter (422 from the API; a message on the page). Parameters, all optional, combining
with AND (a repeated parameter is any of its values):

- `q`: text in the title, summary, next step or barriers, ignoring case and accents
  (`tracker.text.folded`; the same in Python on SQLite and PostgreSQL).
- `grand_challenge_id`, `stage_id`: ids of the board's Grand Challenges and stages.
- `rag`: `red`, `amber`, `green`, `not_set`.
- `organisation_id`: an organisation involved, as `involvement` says: `any` (the default:
  proposed it or holds a role), `proposed`, or `holds`; with `role_type_id`, holds that role.
- `role_type_id` without an organisation: someone holds that role.
- `wanted`: a role type id, or `any`: a role marked wanted (issue 15), or an exclusive role
  (at most one holder) nobody holds.
- `due`: `overdue` (the next step's due date has passed) or `soon` (overdue, or due within
  `DUE_WITHIN_DAYS` days), counted in London days as the weekly report counts them.
- `stale`: `1`: no change of any kind for `STALE_AFTER_DAYS` days (the report's rule).
- `archived`: `1`: the board's archived initiatives instead of its live ones.

An empty value is no filter (the board page's form sends every field). The board page shows a
refused filter as a message over the whole board; the API answers 422.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from tracker import limits, text
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Board, Organisation
from tracker.reports.weekly import due_status
from tracker.vocabulary import RAG_VALUES

if TYPE_CHECKING:
    pass

Q_MAX = 200  # characters of a text search
INVOLVEMENTS = ("any", "proposed", "holds")
DUE = ("overdue", "soon")
PARAMETERS = (
    "q",
    "grand_challenge_id",
    "stage_id",
    "rag",
    "organisation_id",
    "involvement",
    "role_type_id",
    "wanted",
    "due",
    "stale",
    "archived",
)


class _Claim(Protocol):
    @property
    def organisation_id(self) -> int: ...
    @property
    def role_type_id(self) -> int: ...


class Filterable(Protocol):
    """What matching reads of a card (`BoardCard` and `ListedInitiative` both have it)."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def rag(self) -> str: ...
    @property
    def stage_id(self) -> int: ...
    @property
    def grand_challenge_id(self) -> int: ...
    @property
    def proposing_organisation_id(self) -> int: ...
    @property
    def next_step_due(self) -> date | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def claims(self) -> Sequence[Any]: ...


@dataclass(frozen=True)
class CardFilter:
    """A checked filter (see the module's docstring); `CardFilter()` shows everything live."""

    q: str = ""
    grand_challenge_ids: frozenset[int] = frozenset()
    stage_ids: frozenset[int] = frozenset()
    rags: frozenset[str] = frozenset()
    organisation_id: int | None = None
    involvement: str = "any"
    role_type_id: int | None = None
    wanted: frozenset[int] = frozenset()  # the role types asked for (`any`: every one)
    # The board's exclusive roles: one of them asked for and held by nobody counts as wanted.
    exclusive: frozenset[int] = field(default=frozenset(), compare=False)
    due: str | None = None
    stale: bool = False
    archived: bool = False
    # The query string's own values, to rebuild links and fill the form.
    args: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def active(self) -> bool:
        """Whether anything is filtered out (showing the archived counts as a filter)."""
        return bool(
            self.q
            or self.grand_challenge_ids
            or self.stage_ids
            or self.rags
            or self.organisation_id is not None
            or self.role_type_id is not None
            or self.wanted
            or self.due
            or self.stale
            or self.archived
        )

    def as_query(self) -> dict[str, list[str]]:
        """The filter's query string as `url_for` keywords (repeated parameters as lists)."""
        query: dict[str, list[str]] = {}
        for name, value in self.args:
            query.setdefault(name, []).append(value)
        return query


def due_state(due: date | None, today: date) -> str | None:
    """`overdue` when a next step's due date is before `today` (a London date), `soon` when it
    is due today or within `DUE_WITHIN_DAYS` days, else None (no date, or later): the weekly
    report's `due_status`, as the `due` filter and a card's badge use it."""
    status = None if due is None else due_status(due, today)
    if status is None:
        return None
    return "overdue" if status == "overdue" else "soon"


def search_problem(value: str) -> str | None:
    """Why `value` cannot be searched for (not text, or over `Q_MAX` characters), or None.
    The board's text filter and its find box share it."""
    return text.problem(value) or (
        f"must be at most {Q_MAX} characters" if len(value) > Q_MAX else None
    )


def _is_id(raw: str) -> bool:
    """Whether `raw` reads as a database id (`limits.number_arg`: ASCII digits, at most
    MAX_ID; PostgreSQL refuses a larger one in an `integer` column rather than finding
    nothing)."""
    return limits.number_arg(raw) is not None


def _ints(
    args: Mapping[str, list[str]], name: str, allowed: Callable[[int], bool], what: str
) -> set[int]:
    values: set[int] = set()
    for raw in args.get(name, []):
        raw = raw.strip()
        if not raw:
            continue
        if not _is_id(raw) or not allowed(int(raw)):
            raise Invalid({name: f"must be the id of {what}"})
        values.add(int(raw))
    return values


def _one(args: Mapping[str, list[str]], name: str) -> str:
    values = [v.strip() for v in args.get(name, []) if v.strip()]
    if len(values) > 1:
        raise Invalid({name: "must be given once"})
    return values[0] if values else ""


def _flag(args: Mapping[str, list[str]], name: str) -> bool:
    value = _one(args, name).lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise Invalid({name: "must be 1 or 0"})


def parse(
    the_board: Board,
    args: Mapping[str, list[str]],
    organisation_exists: Callable[[int], bool] | None = None,
) -> CardFilter:
    """A filter from a query string (`args`: each parameter's values, as
    `request.args.to_dict(flat=False)`), checked against `the_board` and the organisations
    that exist. Raises `Invalid` naming the first bad parameter."""
    q = _one(args, "q")
    reason = search_problem(q)
    if reason is not None:
        raise Invalid({"q": reason})
    rags = {v.strip() for v in args.get("rag", []) if v.strip()}
    if not rags <= set(RAG_VALUES):
        raise Invalid({"rag": f"must be one of {', '.join(RAG_VALUES)}"})
    role_types = {role.id: role for role in the_board.role_types}
    organisation = _ints(
        args, "organisation_id", organisation_exists or _organisation_exists, "an organisation"
    )
    if len(organisation) > 1:
        raise Invalid({"organisation_id": "must be given once"})
    involvement = _one(args, "involvement") or "any"
    if involvement not in INVOLVEMENTS:
        raise Invalid({"involvement": f"must be one of {', '.join(INVOLVEMENTS)}"})
    role_type = _ints(args, "role_type_id", role_types.__contains__, "one of this board's roles")
    if len(role_type) > 1:
        raise Invalid({"role_type_id": "must be given once"})
    wanted_text = _one(args, "wanted")
    if wanted_text == "any":
        wanted = set(role_types)
    elif wanted_text:
        if not _is_id(wanted_text) or int(wanted_text) not in role_types:
            raise Invalid({"wanted": "must be any, or the id of one of this board's roles"})
        wanted = {int(wanted_text)}
    else:
        wanted = set()
    exclusive = {rid for rid, role in role_types.items() if role.exclusive}
    due = _one(args, "due") or None
    if due is not None and due not in DUE:
        raise Invalid({"due": f"must be one of {', '.join(DUE)}"})
    return CardFilter(
        q=q,
        grand_challenge_ids=frozenset(
            _ints(
                args,
                "grand_challenge_id",
                {g.id for g in the_board.grand_challenges}.__contains__,
                "one of this board's Grand Challenges",
            )
        ),
        stage_ids=frozenset(
            _ints(
                args,
                "stage_id",
                {s.id for s in the_board.stages}.__contains__,
                "one of this board's stages",
            )
        ),
        rags=frozenset(rags),
        organisation_id=next(iter(organisation), None),
        involvement=involvement,
        role_type_id=next(iter(role_type), None),
        wanted=frozenset(wanted),
        exclusive=frozenset(exclusive),
        due=due,
        stale=_flag(args, "stale"),
        archived=_flag(args, "archived"),
        args=tuple((k, v) for k in PARAMETERS for v in args.get(k, []) if v.strip()),
    )


def _organisation_exists(organisation_id: int) -> bool:
    return db.session.get(Organisation, organisation_id) is not None
