"""Board cards as HTML, each rendered once and reused while nothing it shows changes.

Rendering a card through Jinja (escaping each value, two `url_for`, a Move… form for those who
may edit) was most of the board page at thousands of cards, and the same cards are rendered
again for every viewer and every reload. A card's HTML is a function of its `CardFace`: every
value it shows, for one kind of viewer, and nothing else (the template reads only the face, the
form token and `url_for`). So the face is the key of a cache of rendered cards, one per app:

- an edit, move or archive changes the face (its fields, and `version`); so do a claim or a
  release (the lead line and the chips), renaming an organisation, a role or a stage, and a new
  day in the card's stage (the count of days): each renders that card afresh;
- nothing of one viewer reaches another: whether the viewer may edit, and whether they
  follow the card (its Watch button), are part of the face, and
  the form's CSRF token and the view it returns to (the board with its filter) are held as
  slots that each response fills with its own.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from flask import current_app, request
from flask_wtf.csrf import generate_csrf
from jinja2 import Template
from markupsafe import Markup, escape

from tracker.board import BoardCard
from tracker.board.filters import due_state
from tracker.models import Board
from tracker.reports.week import london
from tracker.vocabulary import RAG_LABELS

CARD_TEMPLATE = "web/_card.html"
# Rendered cards kept per app: both kinds (may edit or not) of every card of a 5,000-card
# board, about 12 MB (a card with its Move… form is about 1.7 kB, without it 0.6 kB).
CACHE_SIZE = 10_000
# Stands in for the CSRF token in cached HTML. Typed text never holds NUL (`tracker.text`
# refuses it, PostgreSQL cannot store it), so replacing it touches the token's place only.
_CSRF_SLOT = "\x00csrf-token\x00"
# Likewise the board view the Move… form comes back to (its filter kept), per response.
_BACK_SLOT = "\x00back\x00"
_SECONDS_A_DAY = 86_400


class CardFace(NamedTuple):
    """Every value one card shows, for one kind of viewer: the template's input and the
    cache's key."""

    id: int
    version: int
    title: str
    rag: str
    rag_label: str
    stage_id: int
    grand_challenge_id: int
    archived: bool
    # Whole days since the card entered its stage.
    days: int
    # The next step's due date, and whether it is `overdue` or due `soon` (within 14 days,
    # London days, as the filters and the weekly report count them), else None.
    next_step_due: date | None
    due_state: str | None
    # The board's name for its leading role (None when no role leads), and who holds it:
    # (short name or name, name).
    lead_role: str | None
    lead: tuple[str, str] | None
    # (role, organisation's short name or name, its name) of the other roles held, oldest
    # claim first.
    chips: tuple[tuple[str, str, str], ...]
    # The roles marked wanted, by name.
    wanted: tuple[str, ...]
    # Whether this viewer may move the card, and then the stages and Grand Challenges
    # offered: (id, name).
    editable: bool
    # Whether this viewer follows it (the card's Watch / Stop watching button).
    watching: bool
    stages: tuple[tuple[int, str], ...]
    grand_challenges: tuple[tuple[int, str], ...]
    # Where the app is mounted: the links' prefix.
    script_root: str


@dataclass
class _Cache:
    """Rendered cards of one compiled card template (a reloaded template starts afresh)."""

    template: Template
    render: Callable[[CardFace], str] = field(init=False)

    def __post_init__(self) -> None:
        macro = self.template.module.card_item  # type: ignore[attr-defined]

        @lru_cache(maxsize=CACHE_SIZE)
        def render(face: CardFace) -> str:
            return str(macro(face, _CSRF_SLOT, back=_BACK_SLOT))

        self.render = render


def _renderer() -> Callable[[CardFace], str]:
    template = current_app.jinja_env.get_template(CARD_TEMPLATE)
    cache = current_app.extensions.get(__name__)
    if cache is None or cache.template is not template:
        cache = current_app.extensions[__name__] = _Cache(template)
    return cache.render


def _confirmed(face: CardFace, sentence: str) -> str:
    """One card with a confirmation: once, so not cached."""
    macro = current_app.jinja_env.get_template(CARD_TEMPLATE).module.card_item  # type: ignore[attr-defined]
    return str(macro(face, _CSRF_SLOT, sentence, back=_BACK_SLOT))


def cards_html(
    the_board: Board,
    cards: Iterable[BoardCard],
    *,
    now: datetime,
    may_edit: Callable[[BoardCard], bool],
    watching: Container[int] = frozenset(),
    confirm: tuple[int, str] | None = None,
    back: str = "",
) -> dict[int, Markup]:
    """Each card's `<li>` as this viewer sees it on the board, by initiative id. `confirm`,
    `(initiative id, sentence)`: the card a move or a find has just reached, rendered afresh
    with the focus and the sentence (see `_card.html`). `watching`: the ids of the cards this
    viewer follows (`following.watched_among`). `back`: the board view (a path
    with its query) a Move… form returns to."""
    render = _renderer()
    lead_role = next((role.name for role in the_board.role_types if role.is_lead), None)
    stages = tuple((stage.id, stage.name) for stage in the_board.stages)
    lanes = tuple((lane.id, lane.name) for lane in the_board.grand_challenges)
    script_root = request.script_root
    token = generate_csrf()
    back_html = str(escape(back))
    today = london(now).date()
    html: dict[int, Markup] = {}
    for card in cards:
        editable = may_edit(card)
        lead = card.lead_claim
        face = CardFace(
            id=card.id,
            version=card.version,
            title=card.title,
            rag=card.rag,
            rag_label=RAG_LABELS[card.rag],
            stage_id=card.stage_id,
            grand_challenge_id=card.grand_challenge_id,
            archived=card.archived,
            days=int((now - card.stage_entered_at).total_seconds() // _SECONDS_A_DAY),
            next_step_due=card.next_step_due,
            due_state=due_state(card.next_step_due, today),
            lead_role=lead_role,
            lead=None if lead is None else (lead.organisation_label, lead.organisation),
            chips=tuple(
                (claim.role, claim.organisation_label, claim.organisation)
                for claim in card.other_claims
            ),
            wanted=tuple(card.wanted),
            editable=editable,
            watching=card.id in watching,
            # Only a card that offers the move needs them, so a renamed stage re-renders
            # only those.
            stages=stages if editable else (),
            grand_challenges=lanes if editable else (),
            script_root=script_root,
        )
        if confirm is not None and confirm[0] == card.id:
            rendered = _confirmed(face, confirm[1])
        else:
            rendered = render(face)
        rendered = rendered.replace(_CSRF_SLOT, token).replace(_BACK_SLOT, back_html)
        html[card.id] = Markup(rendered)
    return html
