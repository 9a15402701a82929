"""Mentions in progress notes: stored with ids, shown with today's names (escaped), refused
when they name no active person or organisation (nothing written), and notified at once to
the person, or every active member of the organisation, followers or not."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions, last_seq
from tests.factories import make_initiative, make_organisation, make_user
from tracker import board, mentions, unit_of_work
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Comment, Notification


def reasons() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Notification.user_id, Notification.reason)).all())


@pytest.fixture
def university(app):
    uni = make_organisation("University of Hertfordshire")
    people = [make_user("member", uni) for _ in range(2)]
    people[1].active = False
    db.session.commit()
    return uni, people


def test_a_person_and_an_organisation_mentioned_are_notified_at_once(
    the_board, users, university
) -> None:
    uni, (active, inactive) = university
    card = make_initiative(the_board, users["envoy"], title="Data trust")
    member = users["member"]  # Police: neither proposed it nor holds a role
    body = f"Ask @[Sam]({'user'}:{member.id}) and @[the university](organisation:{uni.id})."
    unit_of_work.commit_change(board.add_comment(users["envoy"], card.id, body))
    got = reasons()
    assert got[member.id] == "mention"
    assert got[active.id] == "mention"
    assert inactive.id not in got
    # The LEP's admin and viewer follow it (their organisation proposed it): "following".
    assert got[users["viewer"].id] == "following"
    assert users["envoy"].id not in got  # the author


def test_the_note_keeps_ids_and_shows_todays_names_escaped(the_board, users) -> None:
    member = users["member"]
    card = make_initiative(the_board, users["envoy"])
    unit_of_work.commit_change(
        board.add_comment(users["envoy"], card.id, f"Thanks @[whoever](user:{member.id}) <b>!</b>")
    )
    stored = db.session.scalar(sa.select(Comment.body))
    assert stored == f"Thanks @[{member.name}](user:{member.id}) <b>!</b>"
    member.name = "Sam <script>Jones"
    db.session.commit()
    html = str(mentions.rendered(stored, mentions.names_in([stored])))
    assert html == (
        f'Thanks <span class="mention" data-person-id="{member.id}">@Sam &lt;script&gt;Jones'
        "</span> &lt;b&gt;!&lt;/b&gt;"
    )
    assert mentions.plain(stored, mentions.names_in([stored])) == (
        "Thanks @Sam <script>Jones <b>!</b>"
    )


@pytest.mark.parametrize(
    "body",
    [
        "Hello @[Nobody](user:999999)",
        "Hello @[Nobody](organisation:999999)",
        "Hello @[Gone]({gone})",
        " ".join(["@[x](user:{member})"] * 21),
    ],
)
def test_a_mention_of_no_active_person_or_organisation_is_refused_and_nothing_written(
    the_board, users, university, body
) -> None:
    _, (_, inactive) = university
    card = make_initiative(the_board, users["envoy"])
    before = last_seq(the_board.id)
    text = body.format(gone=f"user:{inactive.id}", member=users["member"].id)
    with pytest.raises(Invalid) as refused:
        board.add_comment(users["envoy"], card.id, text)
    db.session.rollback()
    assert "body" in refused.value.fields
    assert last_seq(the_board.id) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_plain_at_signs_are_text(the_board, users) -> None:
    card = make_initiative(the_board, users["envoy"])
    body = "Write to sam@example.org or @sam, [not](user:1) a mention"
    unit_of_work.commit_change(board.add_comment(users["envoy"], card.id, body))
    assert db.session.scalar(sa.select(Comment.body)) == body
    assert set(reasons().values()) == {"following"}


def test_the_initiative_page_shows_mentions_as_names(client, the_board, users) -> None:
    card = make_initiative(the_board, users["envoy"])
    member = users["member"]
    unit_of_work.commit_change(
        board.add_comment(users["envoy"], card.id, f"Over to @[x](user:{member.id})")
    )
    AuthActions(client).login(users["viewer"])
    page = client.get(f"/initiatives/{card.id}").get_data(as_text=True)
    assert f'<span class="mention" data-person-id="{member.id}">@{member.name}</span>' in page
