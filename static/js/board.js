// The board page: drag and drop between stage × Grand Challenge cells, through the same JSON
// API integrations use, and everyone else's changes applied as they happen (live.js keeps
// them in order). Reading the board and moving by keyboard ("Move…" on each card) work
// without this script.
//
// Where a card sits follows the events (each says where the server put it); what a card shows
// to this viewer (Lead, roles, a drag handle and Move… form only if they may edit) comes from
// the server, as the board page's own card fragment, so permissions live in one place.
import Sortable from "../vendor/sortable.esm.js";
import { RAG_LABELS, startLive } from "./live.js";
import { enhanceMentions } from "./mentions.js";
import { enhanceWatching } from "./watch.js";

const board = document.getElementById("board");
const statusRegion = document.getElementById("board-status");
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

function say(message) {
  statusRegion.textContent = message;
}

enhanceWatching(board, csrfToken, say);

// --- reading the page ---------------------------------------------------------------------

function cardById(id) {
  return board.querySelector(`li.card[data-initiative-id="${id}"]`);
}

function titleOf(id) {
  const card = cardById(id);
  return card ? card.querySelector(".card-title").textContent.trim() : null;
}

function stageName(id) {
  const head = document.getElementById(`stage-${id}`);
  return head ? head.querySelector("h2").textContent.trim() : null;
}

function laneName(id) {
  const label = document.getElementById(`lane-${id}`);
  return label ? label.textContent.trim() : null;
}

function cellList(stageId, grandChallengeId) {
  return board.querySelector(
    `ul.cards[data-stage-id="${stageId}"][data-grand-challenge-id="${grandChallengeId}"]`,
  );
}

// --- changing cards -----------------------------------------------------------------------

// Moving or replacing a node drops its focus: put it back on the same control.
const FOCUSABLE_PARTS = [
  "summary",
  'select[name="stage_id"]',
  'select[name="grand_challenge_id"]',
  'input[name="position"]',
  "button",
  ".card-title a",
];

function focusedPart(card) {
  const active = document.activeElement;
  if (!active || !card.contains(active)) return null;
  // The card itself holds the focus after a move or a find.
  if (active === card) return "card";
  for (const selector of FOCUSABLE_PARTS) {
    if (active.matches(selector)) return selector;
  }
  return ".card-title a";
}

function refocus(card, part) {
  if (!part) return;
  if (part === "card" && card.hasAttribute("tabindex")) {
    card.focus({ preventScroll: true });
    return;
  }
  const target =
    (part !== "card" && card.querySelector(part)) || card.querySelector(".card-title a");
  if (target) target.focus({ preventScroll: true });
}

// Put a card at `position` among the live cards of a cell, as the server numbers them
// (past the end: last).
function place(card, stageId, grandChallengeId, position) {
  const list = cellList(stageId, grandChallengeId);
  if (!list) throw new Error(`no cell for stage ${stageId} and Grand Challenge ${grandChallengeId}`);
  const others = [...list.querySelectorAll(":scope > li.card")].filter((c) => c !== card);
  const before = others[position] || null;
  if (card.parentElement !== list || card.nextElementSibling !== before) {
    const part = focusedPart(card);
    list.insertBefore(card, before);
    refocus(card, part);
  }
  const stageChanged = card.isConnected && card.dataset.stageId !== String(stageId);
  card.dataset.stageId = stageId;
  card.dataset.grandChallengeId = grandChallengeId;
  return stageChanged;
}

// Keep everything on the card that describes the initiative in step with the server, so
// that its "Move…" form (the keyboard way) sends the new version and shows the new stage.
function setVersion(card, version) {
  card.dataset.version = version;
  const input = card.querySelector('input[name="version"]');
  if (input) input.value = version;
}

function enteredStage(card, stageId) {
  const select = card.querySelector('select[name="stage_id"]');
  if (select) select.value = String(stageId);
  const days = card.querySelector(".days");
  if (days) days.textContent = "0 days in this stage";
}

function updateCard(card, initiative) {
  const stageChanged = card.dataset.stageId !== String(initiative.stage_id);
  setVersion(card, initiative.version);
  card.dataset.stageId = initiative.stage_id;
  card.dataset.grandChallengeId = initiative.grand_challenge_id;
  if (stageChanged) enteredStage(card, initiative.stage_id);
  else {
    const select = card.querySelector('select[name="stage_id"]');
    if (select) select.value = String(initiative.stage_id);
  }
  const lane = card.querySelector('select[name="grand_challenge_id"]');
  if (lane) lane.value = String(initiative.grand_challenge_id);
}

function editCard(card, changes, version) {
  if (changes.title) {
    card.querySelector(".card-title a").textContent = changes.title.to;
    const hidden = card.querySelector("details.move summary .visually-hidden");
    if (hidden) hidden.textContent = ` “${changes.title.to}”`;
  }
  if (changes.rag) {
    const rag = changes.rag.to;
    for (const element of [card, card.querySelector(".rag-badge")]) {
      for (const name of [...element.classList]) {
        if (name.startsWith("rag-") && name !== "rag-badge") element.classList.remove(name);
      }
      element.classList.add(`rag-${rag}`);
    }
    const badge = card.querySelector(".rag-badge");
    badge.lastChild.textContent = RAG_LABELS[rag];
  }
  if (changes.grand_challenge_id) {
    // The server puts it at the end of the same stage in its new swimlane.
    place(card, card.dataset.stageId, changes.grand_challenge_id.to, Infinity);
    const lane = card.querySelector('select[name="grand_challenge_id"]');
    if (lane) lane.value = String(changes.grand_challenge_id.to);
  }
  setVersion(card, version);
}

function removeCard(card) {
  if (focusedPart(card)) {
    // Keep keyboard users near where they were: the next card, or the previous one.
    const near = card.nextElementSibling || card.previousElementSibling;
    card.remove();
    const link = near && near.querySelector(".card-title a");
    if (link) link.focus({ preventScroll: true });
    else document.getElementById("main").focus({ preventScroll: true });
    return;
  }
  card.remove();
}

// Swap a card for the server's fresh rendering, keeping where it is and what the viewer had
// open, chosen or focused on it.
function swapCard(old, fresh) {
  fresh.dataset.stageId = old.dataset.stageId;
  fresh.dataset.grandChallengeId = old.dataset.grandChallengeId;
  const details = old.querySelector("details.move");
  const freshDetails = fresh.querySelector("details.move");
  if (details && freshDetails && details.open) {
    freshDetails.open = true;
    for (const field of details.querySelectorAll("select, input[name='position']")) {
      const same = freshDetails.querySelector(`[name="${field.name}"]`);
      if (same) same.value = field.value;
    }
  }
  const part = focusedPart(old);
  old.replaceWith(fresh);
  refocus(fresh, part);
}

function highlight(card) {
  card.classList.add("live-changed");
  setTimeout(() => card.classList.remove("live-changed"), 2500);
}

// --- the server's card fragment -----------------------------------------------------------

// Cards whose fresh rendering could not be fetched (the connection dropped): fetched again
// after the next successful join.
const stale = new Set();

// The board's filter as a query string ("" when none): the server says, for each changed
// card, whether it is still in the filtered board (204 when not).
const filterQuery = board.dataset.filter || "";
const NOT_IN_VIEW = "not in view";

async function fetchCard(id) {
  let response;
  try {
    response = await fetch(`/initiatives/${id}/card${filterQuery ? `?${filterQuery}` : ""}`, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      // Live changes wait for this one: on a dead connection, give up and fetch it again
      // after the next join, rather than hold the board (and its "Live") back for minutes.
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    stale.add(String(id));
    return null;
  }
  if (response.redirected && new URL(response.url).pathname === "/login") {
    window.location.reload(); // signed out: the sign-in page says so
    return null;
  }
  if (!response.ok) {
    stale.add(String(id));
    return null;
  }
  if (response.status === 204) return NOT_IN_VIEW;
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  return template.content.querySelector("li.card");
}

// Show the server's current card at a place (by default: where the server says, last).
async function showFetched(id, where = null) {
  const fresh = await fetchCard(id);
  if (!fresh) return;
  await notDragging();
  const existing = cardById(id);
  if (fresh === NOT_IN_VIEW) {
    if (existing) removeCard(existing);
    return;
  }
  // The filtered view of archived initiatives shows them; every other view does not.
  if (fresh.dataset.archived === "true" && !/(^|&)archived=/.test(filterQuery)) {
    if (existing) removeCard(existing);
    return;
  }
  const [stageId, grandChallengeId, position] = where || [
    fresh.dataset.stageId,
    fresh.dataset.grandChallengeId,
    Infinity,
  ];
  if (existing) swapCard(existing, fresh);
  place(fresh, stageId, grandChallengeId, position);
  highlight(fresh);
}

async function refreshCard(id) {
  const fresh = await fetchCard(id);
  if (!fresh) return;
  await notDragging();
  const card = cardById(id);
  if (!card) return;
  if (fresh === NOT_IN_VIEW || fresh.dataset.archived === "true") removeCard(card);
  else {
    swapCard(card, fresh);
    highlight(fresh);
  }
}

// --- applying events ----------------------------------------------------------------------

// While a card is being dragged (and until the server has answered the drop), the DOM is the
// user's: events wait, in order, and are applied after.
let drags = 0;
let waiting = [];

async function notDragging() {
  while (drags) await new Promise((resolve) => waiting.push(resolve));
}

function dragStarted() {
  drags += 1;
}

function dragFinished() {
  drags -= 1;
  if (!drags) {
    const resume = waiting;
    waiting = [];
    for (const resolve of resume) resolve();
  }
}

// On a filtered board any change may bring a card into the view or take it out of it
// ("no update for 14 days" ends with a progress note): ask the server about the card.
async function applyFilteredEvent(event) {
  const id = event.initiative_id;
  const data = event.data;
  if (event.type === "board_changed") {
    window.location.reload();
    return;
  }
  if (id === null || id === undefined) return;
  const to = event.type === "initiative_moved" ? data.to : null;
  const created = event.type === "initiative_created" ? data.initiative : null;
  const where = to
    ? [to.stage_id, to.grand_challenge_id, to.position]
    : created
      ? [created.stage_id, created.grand_challenge_id, created.position]
      : null;
  const existing = cardById(id);
  if (existing && !where) {
    // Keep its place; take the server's rendering (or drop it when it left the view).
    const fresh = await fetchCard(id);
    if (!fresh) return;
    await notDragging();
    const card = cardById(id);
    if (!card) return;
    if (fresh === NOT_IN_VIEW) removeCard(card);
    else {
      swapCard(card, fresh);
      highlight(fresh);
    }
  } else {
    await showFetched(id, where);
  }
  refreshCounts();
  markEditing();
  if (["initiative_created", "initiative_moved", "initiative_archived", "initiative_restored"].includes(event.type)) {
    refreshTotals();
  }
}

// A filtered board's "n of m": n is counted here; m, each stage's whole count, is the
// server's (most cards it counts are not on this page). Asked again after a change that can
// alter it, once for a burst of them.
let totalsTimer = null;
function refreshTotals() {
  clearTimeout(totalsTimer);
  totalsTimer = setTimeout(async () => {
    const archived = board.dataset.archived === "true" ? "1" : "0";
    let totals;
    try {
      const response = await fetch(`/boards/${board.dataset.boardId}/stage-totals?archived=${archived}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      totals = (await response.json()).stages;
    } catch {
      return;
    }
    let all = 0;
    for (const head of board.querySelectorAll(".stage-head")) {
      const total = totals[head.dataset.stageId] || 0;
      all += total;
      const shown = head.querySelector(".total");
      if (shown) shown.textContent = total;
      const noun = head.querySelector(".noun");
      if (noun) noun.textContent = total === 1 ? "initiative" : "initiatives";
      // A stage's limit is on all its initiatives, shown or not (archived ones have none).
      if (head.dataset.wipLimit !== undefined && archived === "0") {
        const over = total > Number(head.dataset.wipLimit);
        head.classList.toggle("over-limit", over);
        const label = head.querySelector(".over-label");
        if (over && !label) {
          const strong = document.createElement("strong");
          strong.className = "over-label";
          strong.textContent = "Over its limit";
          head.querySelector(".stage-count").append(strong);
        } else if (!over && label) {
          label.remove();
        }
      }
    }
    const note = document.querySelector(".filter-note .of-total");
    if (note) note.textContent = all;
  }, 250);
}

async function applyEvent(event) {
  if (filterQuery) {
    await applyFilteredEvent(event);
    return;
  }
  const id = event.initiative_id;
  const data = event.data;
  switch (event.type) {
    case "initiative_created": {
      const i = data.initiative;
      if (!i.archived) await showFetched(id, [i.stage_id, i.grand_challenge_id, i.position]);
      break;
    }
    case "initiative_moved": {
      await notDragging();
      const card = cardById(id);
      const to = data.to;
      if (!card) {
        await showFetched(id, [to.stage_id, to.grand_challenge_id, to.position]);
        break;
      }
      if (place(card, to.stage_id, to.grand_challenge_id, to.position)) enteredStage(card, to.stage_id);
      setVersion(card, data.version);
      if (event.actor.user.id !== live.me.id) highlight(card);
      break;
    }
    case "initiative_edited":
    case "rag_changed": {
      await notDragging();
      const card = cardById(id);
      if (card) {
        editCard(card, data.changes, data.version);
        if (event.actor.user.id !== live.me.id) highlight(card);
      }
      break;
    }
    case "initiative_archived": {
      await notDragging();
      const card = cardById(id);
      if (card) removeCard(card);
      break;
    }
    case "initiative_restored":
      await showFetched(id);
      break;
    case "role_claimed":
    case "role_released":
    case "role_wanted":
    case "role_wanted_withdrawn":
      // Lead, the role chips, the roles wanted and (for members) whether they may now move it.
      if (cardById(id)) await refreshCard(id);
      break;
    case "board_changed":
      // An admin reshaped the board (stages, swimlanes, role types): its layout is the
      // server's to draw, so take it whole.
      window.location.reload();
      return;
    default:
      return; // comments and anything new change nothing on a card
  }
  refreshCounts();
  markEditing();
}

// --- presence on cards --------------------------------------------------------------------

let viewers = [];

function markEditing(latest = viewers) {
  viewers = latest;
  const editors = new Map();
  for (const viewer of viewers) {
    if (viewer.isMe || viewer.editing === null || viewer.editing === undefined) continue;
    const orgs = editors.get(String(viewer.editing)) || new Set();
    orgs.add(viewer.organisation);
    editors.set(String(viewer.editing), orgs);
  }
  for (const note of board.querySelectorAll(".editing-note")) {
    if (!editors.has(note.closest("li.card").dataset.initiativeId)) note.remove();
  }
  for (const [id, orgs] of editors) {
    const card = cardById(id);
    if (!card) continue;
    let note = card.querySelector(".editing-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "editing-note";
      card.querySelector(".card-meta").after(note);
    }
    note.textContent = `${[...orgs].join(", ")} — editing`;
  }
}

// --- counts -------------------------------------------------------------------------------

function refreshCounts() {
  const ofShown = document.querySelector(".filter-note .of-shown");
  if (ofShown) ofShown.textContent = board.querySelectorAll("li.card").length;
  const counts = new Map();
  for (const list of board.querySelectorAll("ul.cards")) {
    const stage = list.dataset.stageId;
    counts.set(stage, (counts.get(stage) || 0) + list.querySelectorAll(":scope > li.card").length);
  }
  for (const lane of board.querySelectorAll("section.lane")) {
    const count = lane.querySelectorAll("li.card").length;
    const label = lane.querySelector(".lane-count");
    if (!label) continue;
    label.querySelector(".count").textContent = count;
    label.querySelector(".noun").textContent = count === 1 ? "initiative" : "initiatives";
  }
  for (const head of board.querySelectorAll(".stage-head")) {
    const count = counts.get(head.dataset.stageId) || 0;
    head.querySelector(".count").textContent = count;
    // Filtered: "n of m"; the stage's whole count and its limit are the server's.
    if (head.querySelector(".total")) continue;
    head.querySelector(".noun").textContent = count === 1 ? "initiative" : "initiatives";
    const limit = head.dataset.wipLimit === undefined ? null : Number(head.dataset.wipLimit);
    const over = limit !== null && count > limit;
    head.classList.toggle("over-limit", over);
    const label = head.querySelector(".over-label");
    if (over && !label) {
      const strong = document.createElement("strong");
      strong.className = "over-label";
      strong.textContent = "Over its limit";
      head.querySelector(".stage-count").append(strong);
    } else if (!over && label) {
      label.remove();
    }
  }
}

// --- the viewer's own layout: compact cards, collapsed swimlanes ---------------------------

// The forms work without this (each answers with the board again); here they are sent in the
// background and the page changes in place, keeping the scroll position and the focus.
function applyLayout(form, submitter) {
  if (form.classList.contains("density-form")) {
    const compact = submitter.value === "compact";
    board.classList.toggle("compact", compact);
    submitter.setAttribute("aria-pressed", String(compact));
    submitter.value = compact ? "comfortable" : "compact";
    return;
  }
  const lane = form.closest("section.lane");
  const collapsed = form.elements.collapsed.value === "1";
  lane.classList.toggle("collapsed", collapsed);
  form.elements.collapsed.value = collapsed ? "0" : "1";
  // The button says what it does next (no aria-expanded as well: it would be read as
  // "Collapse …, expanded").
  submitter.firstChild.textContent = collapsed ? "Expand" : "Collapse";
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-layout")) return;
  if (form.dataset.plain) return; // the fallback below: let the browser send it
  event.preventDefault();
  const submitter = event.submitter || form.querySelector("button");
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form, submitter),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
  } catch {
    response = null;
  }
  // 204: stored. Anything else (refused, signed out, no answer): send the form as a page
  // would, so the server's own page says what happened.
  if (response && response.status === 204) {
    applyLayout(form, submitter);
    return;
  }
  form.dataset.plain = "1";
  form.requestSubmit(submitter);
});

// The sticky stage headings' height, so that a card reached by Tab scrolls into view below
// them, not under them (scroll-padding-top in tracker.css).
const headerRow = board.querySelector(".board-header-row");
if (headerRow && "ResizeObserver" in window) {
  new ResizeObserver(() => {
    board.style.setProperty("--head-h", `${headerRow.offsetHeight}px`);
  }).observe(headerRow);
}

// --- a card's details in a dialog -----------------------------------------------------------

// A card's title link opens the initiative's details over the board: the server's own
// rendering of the initiative page's content (/initiatives/ID/details), whose forms (claim,
// release, move, notes) are sent from here and answered with that content again, the
// outcome said at its top. Without this script the link opens the initiative's page.
const dialog = document.getElementById("card-dialog");
const dialogBody = document.getElementById("card-dialog-body");
let detailsId = null;
let detailsOpener = null;
let submitting = false;

function detailsUrl(id) {
  return `/initiatives/${id}/details`;
}

// What has the focus in the dialog, so that the same control has it after a redraw.
function detailsFocusKey() {
  const active = document.activeElement;
  if (!active || !dialogBody.contains(active)) return null;
  const form = active.closest("form");
  return {
    id: active.id,
    said: active.classList.contains("flashes"),
    action: form ? form.getAttribute("action") : null,
    tag: active.tagName,
    text: active.textContent.trim(),
  };
}

function refocusDetails(key) {
  if (!key) return;
  if (key.said) {
    const said = dialogBody.querySelector(".flashes");
    if (said) {
      said.tabIndex = -1;
      said.focus();
      return;
    }
  }
  const byId = key.id && dialogBody.querySelector(`#${CSS.escape(key.id)}`);
  const inForm = key.action
    ? [...dialogBody.querySelectorAll(`form[action="${CSS.escape(key.action)}"] ${key.tag}`)].find(
        (el) => el.textContent.trim() === key.text && !el.disabled,
      )
    : null;
  const target = byId || inForm;
  if (target) target.focus();
  else focusHeading(); // what had the focus is gone (a Claim button whose role was taken)
}

function showDetails(html, { keepSaid = false } = {}) {
  const key = detailsFocusKey();
  const said = keepSaid ? dialogBody.querySelector(".flashes") : null;
  dialogBody.innerHTML = html;
  enhanceMentions(dialogBody);
  // A live redraw keeps what the last action said (the fresh content has said nothing).
  if (said && !dialogBody.querySelector(".flashes")) dialogBody.prepend(said);
  refocusDetails(key);
}

// Whether the reader has started something in the dialog that a redraw would throw away: a
// note typed, a choice made and not yet sent.
function unsent() {
  for (const field of dialogBody.querySelectorAll("textarea, input:not([type=hidden]), select")) {
    if (field instanceof HTMLSelectElement) {
      if ([...field.options].some((option) => option.selected !== option.defaultSelected)) return true;
    } else if (field.value !== field.defaultValue) {
      return true;
    }
  }
  return false;
}

function loading(message) {
  const heading = document.createElement("h2");
  heading.id = "initiative-heading";
  heading.textContent = message;
  dialogBody.replaceChildren(heading);
}

async function loadDetails(id, { focus = false, live = false } = {}) {
  let response;
  try {
    response = await fetch(detailsUrl(id), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      signal: AbortSignal.timeout(10000),
    });
  } catch {
    response = null;
  }
  if (id !== detailsId) return; // closed, or another card opened meanwhile
  if (!response || !response.ok || new URL(response.url).pathname !== detailsUrl(id)) {
    // Signed out, gone, or out of reach: the initiative's own page says which.
    window.location.assign(`/initiatives/${id}`);
    return;
  }
  showDetails(await response.text(), { keepSaid: live });
  if (focus) focusHeading();
}

function focusHeading() {
  const heading = document.getElementById("initiative-heading");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

function openDetails(id, opener) {
  detailsId = id;
  detailsOpener = opener;
  loading("Loading…");
  dialog.showModal();
  loadDetails(id, { focus: true });
}

dialog.addEventListener("close", () => {
  const id = detailsId;
  detailsId = null;
  dialogBody.replaceChildren();
  // Back where the reader was: the card they opened, which a live change may have redrawn
  // meanwhile (if it is still on the board).
  const opener =
    detailsOpener && detailsOpener.isConnected
      ? detailsOpener
      : document.querySelector(`#initiative-${id} .card-title a`);
  if (opener) opener.focus();
  detailsOpener = null;
});

dialog.querySelector("[data-close-dialog]").addEventListener("click", () => dialog.close());

board.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest(".card-title a") : null;
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  const card = link.closest("li.card");
  if (!card) return;
  event.preventDefault();
  openDetails(Number(card.dataset.initiativeId), link);
});

dialog.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
  event.preventDefault();
  const id = detailsId;
  const submitter = event.submitter;
  const body = new FormData(form, submitter);
  if (submitter) submitter.disabled = true;
  let response;
  submitting = true;
  try {
    response = await fetch(form.action, { method: "POST", body, credentials: "same-origin" });
  } catch {
    response = null;
  } finally {
    submitting = false;
  }
  if (id !== detailsId) return;
  if (response && response.ok && new URL(response.url).pathname === detailsUrl(id)) {
    showDetails(await response.text());
    // What the card shows for this viewer alone (Watch / Stop watching) comes with no event:
    // fetch it again, so the card behind the dialog agrees with it.
    if (cardById(id)) refreshCard(id);
    const said = dialogBody.querySelector(".flashes");
    if (said) {
      said.tabIndex = -1;
      said.focus();
    } else {
      focusHeading();
    }
    return;
  }
  // Refused as not allowed (the reader's organisation no longer leads it, say): the error
  // page's words in the dialog, above what the reader wrote, which stays for them to copy.
  if (response && response.status === 403) {
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const words = page.querySelector("main p");
    if (words) {
      if (submitter) submitter.disabled = false;
      const said = document.createElement("div");
      said.className = "flashes";
      said.setAttribute("role", "alert");
      const line = document.createElement("p");
      line.className = "flash flash-error";
      line.textContent = `Not allowed: ${words.textContent.trim()}`;
      said.append(line);
      dialogBody.querySelector(".flashes")?.remove();
      dialogBody.prepend(said);
      said.tabIndex = -1;
      said.focus();
      return;
    }
  }
  // Gone, signed out, or no answer: the initiative's own page says why.
  window.location.assign(`/initiatives/${id}`);
});

// A change to the initiative shown: show it as it now is (a note being written is kept).
let detailsReload = null;
function detailsEvent(event) {
  if (!dialog.open || event.initiative_id !== detailsId) return;
  // The reader's own change from the dialog comes back with its answer already.
  if (event.actor.user.id === live.me.id && submitting) return;
  if (unsent()) return; // never throw away what someone is writing or choosing
  clearTimeout(detailsReload);
  detailsReload = setTimeout(() => {
    if (detailsId !== null) loadDetails(detailsId, { live: true });
  }, 100);
}

// --- the user's own drags -----------------------------------------------------------------

function putBack(card, list, index) {
  const others = [...list.querySelectorAll(":scope > li.card")].filter((c) => c !== card);
  list.insertBefore(card, others[index] || null);
}

async function moveCard(card, list, index, from, fromIndex) {
  const id = card.dataset.initiativeId;
  const title = titleOf(id);
  let response;
  let body = {};
  try {
    response = await fetch(`/api/v1/initiatives/${id}/move`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      credentials: "same-origin",
      body: JSON.stringify({
        stage_id: Number(list.dataset.stageId),
        grand_challenge_id: Number(list.dataset.grandChallengeId),
        position: index,
        version: Number(card.dataset.version),
      }),
    });
    body = await response.json().catch(() => ({}));
  } catch {
    putBack(card, from, fromIndex);
    say(`The server could not be reached, so “${title}” was not moved.`);
    return;
  }
  if (response.status === 409 && body.current) {
    // Someone else moved it first. Their move stands; show the card where the server has it.
    const current = body.current;
    if (current.archived) {
      removeCard(card);
      say(`“${title}” was not moved: someone else archived it a moment ago.`);
      return;
    }
    place(card, current.stage_id, current.grand_challenge_id, current.position);
    updateCard(card, current);
    highlight(card);
    say(
      `“${title}” was not moved: someone else moved it a moment ago. ` +
        `It is in ${stageName(current.stage_id)}, ${laneName(current.grand_challenge_id)}.`,
    );
    return;
  }
  if (!response.ok) {
    putBack(card, from, fromIndex);
    const reason = body.error ? body.error.message : `the server answered ${response.status}`;
    say(`“${title}” was not moved: ${reason}`);
    return;
  }
  updateCard(card, body);
  say(`Moved “${title}” to ${stageName(body.stage_id)}.`);
}

for (const list of board.querySelectorAll("ul.cards")) {
  Sortable.create(list, {
    group: "cards",
    animation: 120,
    draggable: 'li.card[data-draggable="true"]',
    filter: "a, summary, select, button, input, label",
    preventOnFilter: false,
    onStart() {
      dragStarted();
    },
    onEnd(event) {
      if (event.from === event.to && event.oldIndex === event.newIndex) {
        dragFinished();
        return;
      }
      moveCard(event.item, event.to, event.newIndex, event.from, event.oldIndex).finally(() => {
        refreshCounts();
        dragFinished();
      });
    },
  });
}

// --- the keyboard ---------------------------------------------------------------------------

function typingInto(element) {
  return (
    element instanceof HTMLInputElement ||
    element instanceof HTMLTextAreaElement ||
    element instanceof HTMLSelectElement ||
    (element instanceof HTMLElement && element.isContentEditable)
  );
}

// "/" finds a card from anywhere on the page; on a card that has the focus (after a find or a
// move), "m" opens its Move… form at the stage.
document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (dialog.open) return; // the board is behind the dialog
  if (event.key === "/" && !typingInto(event.target)) {
    const find = document.getElementById("find-initiative");
    if (find) {
      event.preventDefault();
      find.focus();
      find.select();
    }
    return;
  }
  const card = event.target instanceof HTMLElement ? event.target : null;
  if ((event.key === "m" || event.key === "M") && card && card.matches("li.card")) {
    const details = card.querySelector("details.move");
    if (!details) return;
    event.preventDefault();
    details.open = true;
    details.querySelector('select[name="stage_id"]').focus();
  }
});

const live = startLive({
  onEvent(event) {
    detailsEvent(event);
    return applyEvent(event);
  },
  describeWith: { titleOf, stageName },
  onPresence: markEditing,
  editingTitle: (id) => titleOf(id) || "an initiative",
  onJoined() {
    for (const id of [...stale]) {
      stale.delete(id);
      showFetched(id).then(refreshCounts);
    }
  },
  onResync() {
    // Reload the board as it stands; but not over and over if the server keeps saying so
    // (then the board goes on live from here, and the next reload puts it right).
    const key = `tracker:resynced:${board.dataset.boardId}`;
    try {
      if (Date.now() - (Number(sessionStorage.getItem(key)) || 0) < 15_000) return;
      sessionStorage.setItem(key, String(Date.now()));
    } catch {
      // No storage: reload all the same.
    }
    window.location.reload();
  },
});
