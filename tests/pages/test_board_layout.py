"""The board laid out for the person reading it (issue 13, part 3, and saved views from part
1): the next step's due date on cards with an Overdue / Due soon badge, short organisation
names on the role chips, compact cards and collapsed swimlanes remembered for each user, and
named views of a filter. Each change is a plain form; bad input is refused naming the field,
and nothing of one user's layout reaches another."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from tests.factories import challenge, make_board, make_initiative, make_organisation, role_type
from tracker import board
from tracker.board.filters import due_state
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import AuditEntry, CollapsedSwimlane, Organisation, SavedView, User

NOW = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)  # Wednesday 10 June, noon in London


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def card_html(page: str, title: str) -> str:
    """The `<li>` of the card whose title is `title`."""
    for item in re.findall(r'<li class="card .*?</li>\s*(?=<li class="card |</ul>)', page, re.S):
        if f">{title}</a>" in item:
            return item
    raise AssertionError(f"no card {title!r}")


def lane_html(page: str, name: str) -> str:
    match = re.search(
        rf'<section class="board-row lane[^"]*"[^>]*>\s*<div class="lane-label">\s*'
        rf"<h2[^>]*>{re.escape(name)}</h2>.*?</section>",
        page,
        re.S,
    )
    assert match, name
    return match.group(0)


def form_post(client, auth, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(path, data={"csrf_token": auth.csrf_token("/"), **data}, **kwargs)


# --- the next step's due date --------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "state"),
    [
        (None, None),
        (date(2026, 6, 9), "overdue"),  # yesterday in London
        (date(2026, 6, 10), "soon"),  # today is not overdue yet
        (date(2026, 6, 24), "soon"),  # the 14th day after
        (date(2026, 6, 25), None),
    ],
)
def test_due_state_counts_london_days(due: date | None, state: str | None) -> None:
    assert due_state(due, date(2026, 6, 10)) == state


def test_cards_show_the_next_step_due_date_and_say_overdue_or_due_soon(
    client, auth, the_board, users
) -> None:
    envoy = users["envoy"]
    make_initiative(
        the_board, envoy, title="Late", next_step="Sign", next_step_due=date(2026, 6, 1)
    )
    make_initiative(
        the_board, envoy, title="Close", next_step="Meet", next_step_due=date(2026, 6, 20)
    )
    make_initiative(
        the_board, envoy, title="Later", next_step="Bid", next_step_due=date(2026, 9, 1)
    )
    make_initiative(the_board, envoy, title="Undated")
    db.session.commit()
    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    late = card_html(page, "Late")
    assert '<p class="due due-overdue"><strong class="due-badge">Overdue</strong>' in late
    assert 'Next step due <time datetime="2026-06-01">1 Jun 2026</time>' in late
    close = card_html(page, "Close")
    assert '<strong class="due-badge">Due soon</strong>' in close and "Overdue" not in close
    later = card_html(page, "Later")
    assert '<p class="due">Next step due <time datetime="2026-09-01">1 Sep 2026</time>' in later
    assert "due-badge" not in later
    assert "Next step due" not in card_html(page, "Undated")


def test_a_card_turns_overdue_when_the_london_day_passes(
    client, auth, the_board, users, frozen
) -> None:
    make_initiative(the_board, users["envoy"], title="Today", next_step_due=date(2026, 6, 10))
    db.session.commit()
    auth.login(users["viewer"])
    assert "Due soon" in card_html(
        client.get(f"/boards/{the_board.id}").get_data(as_text=True), "Today"
    )
    # 23:30 UTC on the 10th is already the 11th in London (summer time).
    frozen.move_to(datetime(2026, 6, 10, 23, 30, tzinfo=UTC))
    auth.login(users["viewer"])  # the earlier sign-in has idled out by now
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "Overdue" in card_html(page, "Today")


# --- short organisation names ------------------------------------------------------------------


def test_role_chips_show_short_names_with_the_full_name_for_screen_readers_and_on_hover(
    client, auth, the_board, users
) -> None:
    envoy = users["envoy"]
    council = make_organisation("Northshire County Council", short_name="NCC")
    plain = make_organisation("Plainfield Trust")
    db.session.commit()
    initiative = make_initiative(the_board, envoy, title="Shared")
    board.claim(envoy, initiative.id, role_type(the_board, "Lead").id, council.id)
    board.claim(envoy, initiative.id, role_type(the_board, "Partner").id, plain.id)
    db.session.commit()
    auth.login(users["viewer"])
    card = card_html(client.get(f"/boards/{the_board.id}").get_data(as_text=True), "Shared")
    assert (
        '<p class="lead">Lead: <span title="Northshire County Council" aria-hidden="true">NCC'
        '</span><span class="visually-hidden">Northshire County Council</span></p>'
    ) in card
    # No short name: the name itself, once.
    assert '<li class="chip">Partner: Plainfield Trust</li>' in card


def test_an_admin_sets_a_short_name_and_bad_ones_are_refused(client, auth, users) -> None:
    org = make_organisation("Northshire County Council")
    make_organisation("Eastshire Council", short_name="ESC")
    db.session.commit()
    auth.login(users["admin"])
    path = f"/admin/organisations/{org.id}/rename"
    prefix = f"org-{org.id}"
    done = form_post(
        client, auth, path, {f"{prefix}-name": org.name, f"{prefix}-short_name": " NCC "}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).short_name == "NCC"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "organisation.short_name_set")
    )
    assert entry is not None and entry.data == {"from": None, "to": "NCC"}
    for short, reason in [
        ("esc", "“Eastshire Council” is already called that"),
        ("x" * 17, "16 characters"),
        ("N\x00C", "Short name"),
    ]:
        refused = form_post(
            client, auth, path, {f"{prefix}-name": "New name", f"{prefix}-short_name": short}
        )
        assert refused.status_code in (400, 422), short
        assert reason in refused.get_data(as_text=True), short
        db.session.expire_all()
        # Neither half of the form was written.
        kept = db.session.get(Organisation, org.id)
        assert (kept.name, kept.short_name) == ("Northshire County Council", "NCC")
    cleared = form_post(
        client, auth, path, {f"{prefix}-name": org.name, f"{prefix}-short_name": ""}
    )
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).short_name is None


# --- compact cards -----------------------------------------------------------------------------


def test_compact_cards_are_remembered_for_the_user_and_nobody_else(
    client, auth, the_board, users
) -> None:
    make_initiative(the_board, users["envoy"], title="Any")
    db.session.commit()
    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert 'class="board" id="board"' in page
    assert 'value="compact" aria-pressed="false" id="density-toggle"' in page
    done = form_post(
        client,
        auth,
        f"/boards/{the_board.id}/layout",
        {"density": "compact", "next": f"/boards/{the_board.id}?rag=red"},
    )
    assert done.status_code == 303
    assert done.headers["Location"] == f"/boards/{the_board.id}?rag=red"
    auth.logout()
    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert 'class="board compact" id="board"' in page
    assert 'value="comfortable" aria-pressed="true" id="density-toggle"' in page
    auth.logout()
    auth.login(users["member"])
    assert 'class="board" id="board"' in client.get(f"/boards/{the_board.id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize("density", ["tiny", "", "COMPACT"])
def test_an_unknown_density_is_refused_naming_the_field(
    client, auth, the_board, users, density: str
) -> None:
    auth.login(users["viewer"])
    done = form_post(
        client, auth, f"/boards/{the_board.id}/layout", {"density": density}, follow_redirects=True
    )
    assert "Density: must be one of comfortable, compact." in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, users["viewer"].id).card_density == "comfortable"


def test_a_layout_form_without_its_csrf_token_changes_nothing(
    client, auth, the_board, users
) -> None:
    auth.login(users["viewer"])
    done = client.post(f"/boards/{the_board.id}/layout", data={"density": "compact"})
    assert done.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, users["viewer"].id).card_density == "comfortable"


# --- collapsed swimlanes ----------------------------------------------------------------------


def test_a_collapsed_swimlane_keeps_its_cards_hidden_until_expanded(
    client, auth, the_board, users
) -> None:
    lane = challenge(the_board)
    name = next(g.name for g in the_board.grand_challenges if g.id == lane)
    make_initiative(the_board, users["envoy"], title="In the lane", grand_challenge_id=lane)
    db.session.commit()
    auth.login(users["member"])
    path = f"/boards/{the_board.id}/swimlanes/{lane}"
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    open_lane = lane_html(page, name)
    assert 'class="board-row lane"' in open_lane
    assert '>Collapse<span class="visually-hidden"> ' + name in open_lane
    assert form_post(client, auth, path, {"collapsed": "1"}).status_code == 303
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    folded = lane_html(page, name)
    assert 'class="board-row lane collapsed"' in folded
    assert '>Expand<span class="visually-hidden"> ' + name in folded
    assert '<input type="hidden" name="collapsed" value="0">' in folded
    # The cards stay in the page (live changes land in them), hidden by the lane's class.
    assert ">In the lane</a>" in folded
    assert '<span class="count">1</span> <span class="noun">initiative</span>' in folded
    # Twice is the same; then expanded again.
    assert form_post(client, auth, path, {"collapsed": "1"}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CollapsedSwimlane)) == 1
    form_post(client, auth, path, {"collapsed": "0"})
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert 'class="board-row lane"' in lane_html(page, name)
    # Another user's board was never collapsed.
    auth.logout()
    auth.login(users["viewer"])
    form_post(client, auth, path, {"collapsed": "1"})
    auth.logout()
    auth.login(users["member"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert 'class="board-row lane"' in lane_html(page, name)


def test_a_grand_challenge_of_another_board_cannot_be_collapsed_here(
    client, auth, the_board, users
) -> None:
    other = make_board("Other board")
    db.session.commit()
    auth.login(users["member"])
    done = form_post(
        client,
        auth,
        f"/boards/{the_board.id}/swimlanes/{other.grand_challenges[0].id}",
        {"collapsed": "1"},
        follow_redirects=True,
    )
    assert "Grand Challenge: no such Grand Challenge on this board." in done.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CollapsedSwimlane)) == 0
    assert form_post(client, auth, "/boards/999/swimlanes/1", {"collapsed": "1"}).status_code == 404
    huge = form_post(client, auth, f"/boards/{the_board.id}/swimlanes/99999999999", {})
    assert huge.status_code in (400, 404)


# --- saved views -------------------------------------------------------------------------------


def test_a_saved_view_comes_back_after_signing_out_and_in(client, auth, the_board, users) -> None:
    envoy = users["envoy"]
    make_initiative(the_board, envoy, title="Red one", rag="red", rag_reason="Stuck")
    make_initiative(the_board, envoy, title="Green one", rag="green", rag_reason="Fine")
    db.session.commit()
    auth.login(users["member"])
    page = client.get(f"/boards/{the_board.id}?rag=red").get_data(as_text=True)
    assert "Save this filter as a view named" in page
    done = form_post(
        client,
        auth,
        f"/boards/{the_board.id}/views",
        {"name": "  Red  ones ", "rag": "red", "q": ""},
    )
    assert done.status_code == 303
    assert done.headers["Location"] == f"/boards/{the_board.id}?rag=red"
    auth.logout()
    auth.login(users["member"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert f'<a href="/boards/{the_board.id}?rag=red">Red ones</a>' in page
    view = client.get(f"/boards/{the_board.id}?rag=red").get_data(as_text=True)
    assert 'aria-current="page">Red ones</a>' in view
    assert ">Red one</a>" in view and ">Green one</a>" not in view
    # Nobody else sees it.
    auth.logout()
    auth.login(users["viewer"])
    assert "Red ones" not in client.get(f"/boards/{the_board.id}").get_data(as_text=True)


def test_saving_a_view_under_its_name_again_replaces_it(client, auth, the_board, users) -> None:
    auth.login(users["member"])
    path = f"/boards/{the_board.id}/views"
    form_post(client, auth, path, {"name": "Mine", "rag": "red"})
    form_post(client, auth, path, {"name": "mine", "rag": "amber", "stale": "1"})
    views = list(db.session.scalars(sa.select(SavedView)))
    assert [(v.name, v.query) for v in views] == [("mine", "rag=amber&stale=1")]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"name": "", "rag": "red"}, "Name: is required."),
        ({"name": "x" * 81, "rag": "red"}, "Name: must be at most 80 characters"),
        ({"name": "Tab\tbad\x01", "rag": "red"}, "Name: "),
        ({"name": "Everything"}, "Filter: choose at least one filter to save as a view."),
        ({"name": "Bad", "rag": "purple"}, "RAG status: must be one of"),
        ({"name": "Huge", "organisation_id": "2147483648"}, "Organisation: must be the id"),
    ],
)
def test_a_view_that_cannot_be_saved_is_refused_naming_the_field(
    client, auth, the_board, users, data: dict[str, str], said: str
) -> None:
    auth.login(users["member"])
    done = form_post(client, auth, f"/boards/{the_board.id}/views", data, follow_redirects=True)
    assert done.status_code == 200
    assert said in done.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 0


def test_a_view_is_deleted_only_by_its_owner_on_its_board(client, auth, the_board, users) -> None:
    auth.login(users["member"])
    form_post(client, auth, f"/boards/{the_board.id}/views", {"name": "Mine", "rag": "red"})
    view_id = db.session.scalar(sa.select(SavedView.id))
    other = make_board("Other board")
    db.session.commit()
    assert (
        form_post(client, auth, f"/boards/{other.id}/views/{view_id}/delete", {}).status_code == 404
    )
    auth.logout()
    auth.login(users["envoy"])
    path = f"/boards/{the_board.id}/views/{view_id}/delete"
    assert form_post(client, auth, path, {}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 1
    auth.logout()
    auth.login(users["member"])
    done = form_post(client, auth, path, {}, follow_redirects=True)
    assert "Deleted the view “Mine”." in done.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 0


def test_the_script_is_answered_204_or_an_error_it_can_tell_apart(
    client, auth, the_board, users
) -> None:
    auth.login(users["viewer"])
    path = f"/boards/{the_board.id}/layout"
    json = {"Accept": "application/json"}
    done = form_post(client, auth, path, {"density": "compact"}, headers=json)
    assert done.status_code == 204
    refused = form_post(client, auth, path, {"density": "tiny"}, headers=json)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "density": "must be one of comfortable, compact"
    }
    # Nothing flashed for the script: the next page says nothing of it.
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "Density:" not in page
    db.session.expire_all()
    assert db.session.get(User, users["viewer"].id).card_density == "compact"


def test_a_view_name_is_matched_as_people_read_it(client, auth, the_board, users) -> None:
    auth.login(users["member"])
    path = f"/boards/{the_board.id}/views"
    form_post(client, auth, path, {"name": "Économie", "rag": "red"})
    again = form_post(client, auth, path, {"name": "éCONOMIE", "rag": "amber"})
    assert again.status_code == 303
    views = list(db.session.scalars(sa.select(SavedView)))
    assert [(v.name, v.query) for v in views] == [("éCONOMIE", "rag=amber")]


def test_a_short_name_is_never_another_organisations_name_or_short_name(
    client, auth, users
) -> None:
    from tracker.admin import organisations

    council = make_organisation("Northshire County Council", short_name="ÄNCC")
    other = make_organisation("Other Trust")
    db.session.commit()
    admin = users["admin"]
    for attempt in (
        lambda: organisations.set_short_name(admin, other.id, "äncc"),
        lambda: organisations.rename(admin, other.id, "Äncc"),
        lambda: organisations.set_short_name(admin, other.id, "northshire COUNTY council"),
    ):
        with pytest.raises(Invalid):
            attempt()
        db.session.rollback()
    assert organisations.set_short_name(admin, council.id, "äncc").changed


def test_a_card_found_in_a_collapsed_swimlane_is_shown_to_take_the_focus(
    client, auth, the_board, users
) -> None:
    lane = challenge(the_board)
    name = next(g.name for g in the_board.grand_challenges if g.id == lane)
    make_initiative(the_board, users["envoy"], title="Hidden heron", grand_challenge_id=lane)
    auth.login(users["member"])
    form_post(client, auth, f"/boards/{the_board.id}/swimlanes/{lane}", {"collapsed": "1"})
    found = client.get(f"/boards/{the_board.id}?find=heron").get_data(as_text=True)
    assert 'class="board-row lane"' in lane_html(found, name)
    assert 'autofocus aria-describedby="card-confirmation"' in card_html(found, "Hidden heron")
    # Only for that response: the lane stays collapsed for the user.
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert 'class="board-row lane collapsed"' in lane_html(page, name)
