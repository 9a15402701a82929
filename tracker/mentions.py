"""Mentions in a progress note: `@[Sam Jones](user:12)` names a person, `@[Hertfordshire
Constabulary](organisation:3)` an organisation. The page's autocomplete (and an integration)
writes that form; the note is stored with the ids and the names as they were, and shown with
today's names (`rendered`), escaped. A mention of someone unknown or inactive is refused
naming the note (`checked`); each person mentioned, or every active member of an organisation
mentioned, is notified at once (`tracker.notifications`, reason "mention").

Text that merely starts with "@" is text: only the bracketed form is a mention, so an address
or a handle in a note stays as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup, escape

from tracker import text
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Organisation, User

# The name part cannot hold "]" (the autocomplete writes names, which the text rule keeps to
# one line); ids are what count.
MENTION = re.compile(r"@\[([^\]\n]{1,200})\]\((user|organisation):(\d{1,10})\)")
MAX_MENTIONS = 20


@dataclass(frozen=True)
class Mentions:
    users: list[int] = field(default_factory=list)
    organisations: list[int] = field(default_factory=list)

    def as_data(self) -> dict[str, list[int]]:
        return {"users": self.users, "organisations": self.organisations}


def checked(body: str, field_name: str = "body") -> tuple[str, Mentions]:
    """The note with each mention's name made today's, and who it mentions. Raises `Invalid`
    naming `field_name` for an unknown or inactive person or organisation, or too many."""
    found = [(kind, int(raw)) for _, kind, raw in MENTION.findall(body)]
    if not found:
        return body, Mentions()
    if len(found) > MAX_MENTIONS:
        raise Invalid({field_name: f"can mention at most {MAX_MENTIONS} people or organisations"})
    user_ids = {i for kind, i in found if kind == "user"}
    org_ids = {i for kind, i in found if kind == "organisation"}
    people = _active_people(user_ids)
    organisations = _active_organisations(org_ids)
    for kind, wanted in found:
        if (kind == "user" and wanted not in people) or (
            kind == "organisation" and wanted not in organisations
        ):
            what = "person" if kind == "user" else "organisation"
            raise Invalid({field_name: f"mentions {kind}:{wanted}, which is no active {what} here"})

    def current(match: re.Match[str]) -> str:
        kind, wanted = match.group(2), int(match.group(3))
        name = people[wanted] if kind == "user" else organisations[wanted]
        # A name holding "]" would end the mention early when read back.
        return f"@[{name.replace(']', ')')}]({kind}:{wanted})"

    cleaned = MENTION.sub(current, body)
    reason = text.problem(cleaned, multiline=True)
    if reason is not None:  # a name cannot bring in what the note may not hold
        raise Invalid({field_name: reason})
    return cleaned, Mentions(sorted(user_ids), sorted(org_ids))


def _active_people(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.id.in_(ids), User.active.is_(True), Organisation.active.is_(True))
    )
    return dict(rows.all())


def _active_organisations(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(ids), Organisation.active.is_(True)
        )
    )
    return dict(rows.all())


def names_in(bodies: list[str]) -> dict[tuple[str, int], str]:
    """Today's names of everyone the notes mention: two queries at most, whatever the notes."""
    found = [(kind, int(raw)) for body in bodies for _, kind, raw in MENTION.findall(body)]
    users = {i for kind, i in found if kind == "user"}
    orgs = {i for kind, i in found if kind == "organisation"}
    names: dict[tuple[str, int], str] = {}
    if users:
        for user_id, name in db.session.execute(
            sa.select(User.id, User.name).where(User.id.in_(users))
        ):
            names[("user", user_id)] = name
    if orgs:
        for org_id, name in db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(orgs))
        ):
            names[("organisation", org_id)] = name
    return names


def rendered(body: str, names: dict[tuple[str, int], str]) -> Markup:
    """The note as HTML: text escaped, each mention "@Name" (today's name, else the one it was
    written with) marked as a mention."""
    out: list[str] = []
    last = 0
    for match in MENTION.finditer(body):
        out.append(str(escape(body[last : match.start()])))
        kind, wanted = match.group(2), int(match.group(3))
        name = names.get((kind, wanted), match.group(1))
        label = "person" if kind == "user" else "organisation"
        out.append(f'<span class="mention" data-{label}-id="{wanted}">@{escape(name)}</span>')
        last = match.end()
    out.append(str(escape(body[last:])))
    return Markup("".join(out))


def plain(body: str, names: dict[tuple[str, int], str]) -> str:
    """The note as plain text, each mention "@Name" (for e-mail and exports)."""
    return MENTION.sub(lambda m: "@" + names.get((m.group(2), int(m.group(3))), m.group(1)), body)


CANDIDATES = 10


def candidates(query: str) -> list[dict[str, object]]:
    """Active people and organisations whose name holds `query` (case and accents ignored),
    at most `CANDIDATES` of each, people first, by name; each with its `mention` text."""
    needle = text.folded(query.strip())
    people = db.session.execute(
        sa.select(User.id, User.name, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.active.is_(True), Organisation.active.is_(True))
        .order_by(User.name)
    ).all()
    organisations = db.session.execute(
        sa.select(Organisation.id, Organisation.name)
        .where(Organisation.active.is_(True))
        .order_by(Organisation.name)
    ).all()
    found: list[dict[str, object]] = []
    for user_id, name, organisation in [p for p in people if needle in text.folded(p[1])][
        :CANDIDATES
    ]:
        found.append(_candidate("user", user_id, name, organisation))
    for org_id, name in [o for o in organisations if needle in text.folded(o[1])][:CANDIDATES]:
        found.append(_candidate("organisation", org_id, name, "Organisation"))
    return found


def _candidate(kind: str, ident: int, name: str, detail: str) -> dict[str, object]:
    return {
        "kind": kind,
        "id": ident,
        "name": name,
        "detail": detail,
        "mention": f"@[{name.replace(']', ')')}]({kind}:{ident})",
    }
