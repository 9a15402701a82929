// The board page: drag and drop between stage × Grand Challenge cells, through the same
// JSON API integrations use. Reading the board and moving by keyboard ("Move…" on each card)
// work without this script.
import Sortable from "../vendor/sortable.esm.js";

const board = document.getElementById("board");
const statusRegion = document.getElementById("board-status");
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

function say(message) {
  statusRegion.textContent = message;
}

function reloadSoon(message) {
  say(`${message} Reloading the board to show where it is now…`);
  // The server's word is final: show the board as it stands.
  setTimeout(() => window.location.reload(), 1500);
}

async function moveCard(card, list, index) {
  const id = card.dataset.initiativeId;
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
    reloadSoon("The server could not be reached, so the card was not moved.");
    return;
  }
  if (!response.ok) {
    reloadSoon(body.error ? body.error.message : `The move failed (${response.status}).`);
    return;
  }
  updateCard(card, body);
  const title = card.querySelector(".card-title").textContent.trim();
  const stage = document.getElementById(`stage-${body.stage_id}`).querySelector("h2").textContent;
  say(`Moved “${title}” to ${stage}.`);
  refreshCounts();
}

// Keep everything on the card that describes the initiative in step with the server, so
// that its "Move…" form (the keyboard way) sends the new version and shows the new stage.
function updateCard(card, initiative) {
  const stageChanged = card.dataset.stageId !== String(initiative.stage_id);
  card.dataset.version = initiative.version;
  card.dataset.stageId = initiative.stage_id;
  const version = card.querySelector('input[name="version"]');
  if (version) version.value = initiative.version;
  const select = card.querySelector('select[name="stage_id"]');
  if (select) select.value = String(initiative.stage_id);
  const days = card.querySelector(".days");
  if (days && stageChanged) days.textContent = "0 days in this stage";
}

function refreshCounts() {
  const counts = new Map();
  for (const list of board.querySelectorAll("ul.cards")) {
    const stage = list.dataset.stageId;
    counts.set(stage, (counts.get(stage) || 0) + list.querySelectorAll(":scope > li.card").length);
  }
  for (const head of board.querySelectorAll(".stage-head")) {
    const count = counts.get(head.dataset.stageId) || 0;
    head.querySelector(".count").textContent = count;
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

for (const list of board.querySelectorAll("ul.cards")) {
  Sortable.create(list, {
    group: "cards",
    animation: 120,
    draggable: 'li.card[data-draggable="true"]',
    filter: "a, summary, select, button, input, label",
    preventOnFilter: false,
    onEnd(event) {
      if (event.from === event.to && event.oldIndex === event.newIndex) return;
      moveCard(event.item, event.to, event.newIndex);
    },
  });
}
