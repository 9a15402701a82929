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

async function moveCard(card, list, index) {
  const id = card.dataset.initiativeId;
  const response = await fetch(`/api/v1/initiatives/${id}/move`, {
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
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = body.error ? body.error.message : `The move failed (${response.status}).`;
    say(`${message} Reloading the board to show where it is now…`);
    // The server's word is final: show the board as it stands.
    setTimeout(() => window.location.reload(), 1500);
    return;
  }
  card.dataset.version = body.version;
  const title = card.querySelector(".card-title").textContent.trim();
  const stage = document.getElementById(`stage-${body.stage_id}`).querySelector("h2").textContent;
  say(`Moved “${title}” to ${stage}.`);
  refreshCounts();
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
