// The initiative page, live: when anyone changes this initiative (fields, stage, roles,
// notes, archive), the page's parts marked data-live-region are swapped for the server's
// fresh rendering of this same page, so what is shown and which buttons are offered always
// follow the server's rules. The progress-note form is never touched: a note being written
// survives. Who else is on the board, and who is editing this initiative, is shown too.
import { startLive } from "./live.js";
import { enhanceMentions } from "./mentions.js";

const article = document.getElementById("initiative");
enhanceMentions(article);
const initiativeId = Number(article.dataset.initiativeId);
const editingNote = document.getElementById("editing-note");

function title() {
  return article.querySelector("h1").textContent.trim();
}

// --- swapping regions, keeping focus and choices ------------------------------------------

function focusKey(region) {
  const active = document.activeElement;
  if (!active || !region.contains(active)) return null;
  return {
    id: active.id,
    tag: active.tagName,
    row: active.closest("tr") ? active.closest("tr").dataset.roleTypeId : null,
    text: active.textContent.trim(),
  };
}

function refocus(region, key) {
  if (!key) return;
  const same = [...region.querySelectorAll(key.tag)].filter(
    (el) => !key.row || (el.closest("tr") && el.closest("tr").dataset.roleTypeId === key.row),
  );
  const target =
    (key.id && region.querySelector(`#${CSS.escape(key.id)}`)) ||
    same.find((el) => el.textContent.trim() === key.text && !el.disabled) ||
    same.find((el) => !el.disabled);
  if (target) {
    target.focus({ preventScroll: true });
    return;
  }
  // What had focus is gone (a Claim button whose role was just taken): stay in that section.
  const heading = region.closest("section, article").querySelector("h2, h1");
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

function swapRegion(region, fresh) {
  const key = focusKey(region);
  // Choices the user made in a select (and has not sent yet) are kept where they still exist.
  for (const select of region.querySelectorAll("select[id]")) {
    const chosen = [...select.options].find((o) => o.selected);
    const initial = [...select.options].find((o) => o.defaultSelected);
    if (!chosen || chosen === initial) continue;
    const twin = fresh.querySelector(`#${CSS.escape(select.id)}`);
    if (twin && [...twin.options].some((o) => o.value === chosen.value)) twin.value = chosen.value;
  }
  const adopted = document.adoptNode(fresh);
  region.replaceWith(adopted);
  refocus(adopted, key);
}

// --- reloading this page's state from the server ------------------------------------------

let refreshing = null;
let again = false;
let stale = false;

async function load() {
  let response;
  try {
    response = await fetch(window.location.pathname, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      // Live changes wait for this one: on a dead connection, give up and fetch it again
      // after the next join, rather than hold the page (and its "Live") back for minutes.
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    stale = true; // fetched again after the next successful join
    return;
  }
  if (response.redirected && new URL(response.url).pathname === "/login") {
    window.location.reload();
    return;
  }
  if (!response.ok) {
    stale = true;
    return;
  }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("initiative");
  if (!fresh) return;
  article.dataset.version = fresh.dataset.version;
  for (const region of article.querySelectorAll("[data-live-region]")) {
    const twin = fresh.querySelector(`[data-live-region="${region.dataset.liveRegion}"]`);
    if (twin) swapRegion(region, twin);
  }
  document.title = page.title;
}

// Several changes in a row (a catch-up after a reconnect) need one fetch, not one each.
function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      stale = false;
      await load();
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

// --- live ---------------------------------------------------------------------------------

function applyEvent(event) {
  if (event.initiative_id !== initiativeId) return;
  if (event.type === "role_claimed" && event.data.exclusive) {
    // An exclusive role is now held: nobody else may claim it, from this very moment.
    const row = article.querySelector(`tr[data-role-type-id="${event.data.role_type_id}"]`);
    const button = row && row.querySelector(".claim-form button");
    if (button) {
      if (document.activeElement === button) {
        const heading = document.getElementById("roles-heading");
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      }
      button.disabled = true;
    }
  }
  refresh();
}

function showEditors(viewers) {
  const organisations = new Set(
    viewers.filter((v) => !v.isMe && v.editing === initiativeId).map((v) => v.organisation),
  );
  editingNote.hidden = organisations.size === 0;
  editingNote.textContent = organisations.size ? `${[...organisations].join(", ")} — editing` : "";
}

startLive({
  onEvent: applyEvent,
  announceIf: (event) => event.initiative_id === initiativeId,
  describeWith: { titleOf: (id) => (id === initiativeId ? title() : null) },
  onPresence: showEditors,
  editingTitle: (id) => (id === initiativeId ? "this initiative" : "another initiative"),
  onJoined() {
    if (stale) refresh();
  },
  onResync: refresh,
});
