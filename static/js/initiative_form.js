// The edit form, live: others see that this initiative is being edited ("Hertfordshire
// Constabulary — editing"), this page shows who else has it open and what others save
// meanwhile, and after a refused save (409) it works out whose change each differing field is.
//
// The form itself is a plain server form: without this script it still saves, and a refused
// save still shows both versions with "Keep my changes" and "Use the current values".
import { EDITABLE_FIELDS, describe, startLive } from "./live.js";

const form = document.getElementById("initiative-form");
const initiativeId = Number(form.dataset.initiativeId);
const conflict = document.getElementById("conflict");
const BASE_KEY = `tracker:edit-base:${initiativeId}`;

function norm(value) {
  return String(value ?? "")
    .replace(/\r\n/g, "\n")
    .trim();
}

function valuesOf(someForm) {
  return Object.fromEntries(
    EDITABLE_FIELDS.map((name) => [name, norm(someForm.elements[name].value)]),
  );
}

// --- what the user started from -------------------------------------------------------------

// The values this form was loaded with, per version: after a refused save they tell a field
// only the other person changed (keep theirs) from one only this user changed (keep theirs
// too: it is the user's) from one both changed (the user chooses).
function readBase() {
  try {
    return JSON.parse(sessionStorage.getItem(BASE_KEY));
  } catch {
    return null;
  }
}

function writeBase(version, values) {
  try {
    sessionStorage.setItem(BASE_KEY, JSON.stringify({ version, values }));
  } catch {
    // Storage may be off; the conflict page then lists every differing field.
  }
}

function resolveConflict() {
  const keepMine = document.getElementById("keep-mine");
  const takeCurrent = document.getElementById("take-current");
  const current = valuesOf(takeCurrent);
  const base = readBase();
  const loaded = base && base.version === Number(conflict.dataset.yourVersion) ? base.values : null;
  const both = [];
  for (const row of conflict.querySelectorAll("tr[data-field]")) {
    const name = row.dataset.field;
    const label = row.querySelector("th").firstChild.textContent.trim();
    const note = row.querySelector(".conflict-note");
    if (!loaded) continue;
    const was = norm(loaded[name]);
    if (norm(row.dataset.yours) === was) {
      // Only they changed it: theirs stays, whichever button is pressed.
      form.elements[name].value = current[name];
      keepMine.elements[name].value = current[name];
      note.textContent = " (only they changed it: theirs is kept)";
      row.classList.add("resolved");
    } else if (current[name] === was) {
      // Only this user changed it: theirs (the user's) stays too.
      takeCurrent.elements[name].value = norm(row.dataset.yours);
      note.textContent = " (only you changed it: yours is kept)";
      row.classList.add("resolved");
    } else {
      note.textContent = " (changed by both of you)";
      both.push(label);
    }
  }
  if (loaded) {
    const advice = document.createElement("p");
    advice.className = "conflict-advice";
    advice.textContent = both.length
      ? `You both changed: ${both.join(", ")}. Keep your values, or use the current ones; ` +
        "the other fields are combined either way."
      : "Their changes and yours are to different fields, so both are kept either way.";
    document.getElementById("conflict-summary").after(advice);
  }
  // From now on the user has seen the current version: it is what the next save starts from.
  writeBase(Number(conflict.dataset.currentVersion), current);
}

if (conflict) resolveConflict();
else {
  const version = Number(form.elements.version.value);
  const base = readBase();
  // A form sent back with errors still holds the user's typing: keep the values it was
  // loaded with.
  if (!base || base.version !== version) writeBase(version, valuesOf(form));
}

// --- live -----------------------------------------------------------------------------------

const othersEditing = document.getElementById("others-editing");
const remote = document.getElementById("remote-changes");
const remoteList = document.getElementById("remote-changes-list");
const names = { titleOf: (id) => (id === initiativeId ? form.dataset.title : null) };

function showEditors(viewers) {
  const organisations = new Set(
    viewers.filter((v) => !v.isMe && v.editing === initiativeId).map((v) => v.organisation),
  );
  othersEditing.hidden = organisations.size === 0;
  othersEditing.textContent = organisations.size
    ? `${[...organisations].join(", ")} — editing`
    : "";
}

function noteRemoteChange(event) {
  if (event.initiative_id !== initiativeId) return;
  const item = document.createElement("li");
  const at = new Date(event.at);
  item.textContent = `${describe(event, names)} (${at.toLocaleTimeString("en-GB", {
    timeZone: "Europe/London",
    hour: "2-digit",
    minute: "2-digit",
  })})`;
  remoteList.append(item);
  remote.hidden = false;
  if (event.data && event.data.changes && event.data.changes.title) {
    form.dataset.title = event.data.changes.title.to;
  }
}

const live = startLive({
  onEvent: noteRemoteChange,
  announceIf: (event) => event.initiative_id === initiativeId,
  describeWith: names,
  onPresence: showEditors,
  editingTitle: (id) => (id === initiativeId ? "this initiative" : "another initiative"),
  // Nothing to reload: the form keeps what the user typed, and saving checks the version.
  onResync() {},
});
if (live) live.setEditing(initiativeId);
