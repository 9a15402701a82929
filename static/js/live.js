// Live updates shared by the board, initiative and edit pages.
//
// One Socket.IO connection (same origin, the session cookie authenticates it), joined to the
// page's board. Every `board_event` is applied once, in sequence order: an event at or below
// the last one seen is a duplicate from a replay and is dropped; an event past a gap is not
// applied but triggers a new `join` from the last one seen, and the server replays what was
// missed. A reconnect does the same; socket.io-client's manager alone retries, and the page
// only tells it to try at once when the network or the page is back (see "when to try now").
// The page's own module says what an event does to its DOM (`onEvent`); this module keeps
// the order, shows the connection state with the time of the last update, lists who else is
// on the board, and reads other people's changes out in a polite live region.
import { io } from "../vendor/socket.io.esm.min.js";
import { showUnread } from "./unread.js";

const CLOCK = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

// The words people read for field names and RAG values come from the server (one definition,
// `tracker/vocabulary.py`), as JSON in the body's data-vocabulary on every page.
const VOCABULARY = JSON.parse(document.body.dataset.vocabulary || "{}");
export const FIELD_LABELS = VOCABULARY.field_labels || {};
export const RAG_LABELS = VOCABULARY.rag_labels || {};
export const EDITABLE_FIELDS = VOCABULARY.editable_fields || [];

// The live connection's timing (ms). The bound it serves: within 5 s of the network (or the
// server) coming back, the page is live again and has caught up.
const RETRY_MAX_MS = 2000; // the manager's longest wait between two attempts
const HANDSHAKE_MS = 5000; // an attempt not connected by then is given up (and retried)
const JOIN_MS = 10_000; // the answer to a join on a new connection (it may replay a lot)
const CHECK_MS = 2000; // the answer to a join that checks an open connection still works
const TICK_MS = 1000;
const SLEPT_MS = 5000; // a tick this late: the machine slept (or the tab was frozen)
const HIDDEN_SLEPT_MS = 70_000; // the same in a hidden tab, whose timers may run once a minute
const STUCK_MS = RETRY_MAX_MS + HANDSHAKE_MS + 2000; // no attempt for this long: start over

// "a", "a and b", "a, b and c"
export function listOf(words) {
  if (words.length < 2) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

export function clock(date) {
  return CLOCK.format(date);
}

// One sentence for an event, from the point of view of someone else watching the board.
// `titleOf(id)` and `stageName(id)` come from the page (read before the event is applied).
export function describe(event, { titleOf = () => null, stageName = () => null } = {}) {
  const who = event.actor.organisation.name;
  const data = event.data || {};
  const title =
    (data.initiative && data.initiative.title) || titleOf(event.initiative_id) || "an initiative";
  const forWhom = data.organisation && data.organisation !== who ? ` for ${data.organisation}` : "";
  switch (event.type) {
    case "initiative_created": {
      const stage = stageName(data.initiative.stage_id);
      return `${who} proposed ${title}${stage ? ` in ${stage}` : ""}.`;
    }
    case "initiative_edited": {
      const fields = Object.keys(data.changes).map((name) => FIELD_LABELS[name] || name);
      return `${who} edited the ${listOf(fields)} of ${title}.`;
    }
    case "rag_changed": {
      // A RAG change may come with other fields saved at the same time: name them all.
      const others = Object.keys(data.changes)
        .filter((name) => name !== "rag" && name !== "rag_reason")
        .map((name) => FIELD_LABELS[name] || name);
      const also = others.length ? ` and edited the ${listOf(others)}` : "";
      return `${who} changed the RAG status of ${title} to ${RAG_LABELS[data.changes.rag.to]}${also}.`;
    }
    case "initiative_moved":
      if (data.from.stage_id === data.to.stage_id) {
        return `${who} reordered ${title} within ${data.to.stage}.`;
      }
      return `${who} moved ${title} to ${data.to.stage}.`;
    case "initiative_archived":
      return `${who} archived ${title}.`;
    case "initiative_restored":
      return `${who} restored ${title}.`;
    case "role_claimed":
      if (data.request_id) return `${who} approved ${data.organisation}'s request for ${data.role} on ${title}.`;
      if (data.interest_id) return `${data.organisation} accepted ${data.role} on ${title}.`;
      return `${who} claimed ${data.role} on ${title}${forWhom}.`;
    case "role_wanted":
      return `${who} marked ${data.role} wanted on ${title}.`;
    case "role_wanted_withdrawn":
      return `${who} no longer wants ${data.role} on ${title}.`;
    case "role_requested":
      return `${who} asked for ${data.role} on ${title}${forWhom}.`;
    case "role_request_declined":
      return `${who} declined ${data.organisation}'s request for ${data.role} on ${title}.`;
    case "role_request_withdrawn":
      return `${who} withdrew the request for ${data.role} on ${title}${forWhom}.`;
    case "interest_registered":
      return `${who} registered interest in ${title}${forWhom}.`;
    case "interest_invited":
      return `${who} invited ${data.organisation} to take ${data.role} on ${title}.`;
    case "interest_declined":
      return `${data.organisation} declined ${data.role} on ${title}.`;
    case "interest_closed":
      return `${who} closed ${data.organisation}'s interest in ${title}.`;
    case "role_released":
      return `${who} released ${data.role} on ${title}${forWhom}.`;
    case "comment_added":
      return `${who} added a progress note on ${title}.`;
    default:
      return `${who} changed ${title}.`;
  }
}

// A polite live region: what is said within a short moment is read out together, and a
// burst of changes (a catch-up after a reconnect) is summed up rather than read one by one.
// Connection news ("Live again.") comes first.
function announcer(region) {
  let news = [];
  let changes = [];
  let timer = null;
  return function announce(sentence, kind = "change") {
    if (!region || !sentence) return;
    (kind === "change" ? changes : news).push(sentence);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const said =
        changes.length <= 3
          ? changes
          : [
              `${changes.length} changes by others were applied.`,
              `The latest: ${changes[changes.length - 1]}`,
            ];
      region.textContent = [...news, ...said].join(" ");
      news = [];
      changes = [];
    }, 300);
  };
}

/**
 * Connect the page to its board's live feed.
 *
 * options:
 *   onEvent(event)        apply one event to the page (may return a promise); called in order
 *   announceIf(event)     whether to read this event out (default: every event by others)
 *   describeWith          {titleOf, stageName} for the sentences
 *   onPresence(viewers)   the page's own use of presence (the list itself is drawn here)
 *   onJoined()            after every successful join (first load and each reconnect)
 *   onResync()            the server cannot replay what was missed: reload the page's state
 *   editingTitle(id)      how to name an initiative someone is editing
 */
export function startLive(options) {
  const bar = document.getElementById("live");
  if (!bar) return null;
  const boardId = Number(bar.dataset.boardId);
  const me = {
    id: Number(bar.dataset.userId),
    name: bar.dataset.userName,
    organisation: bar.dataset.organisation,
  };
  const stateText = document.getElementById("connection-state");
  const timeText = document.getElementById("connection-time");
  const presenceList = document.getElementById("presence-list");
  const announce = announcer(document.getElementById("live-announcer"));
  const {
    onEvent = () => {},
    announceIf = () => true,
    describeWith = {},
    onPresence = () => {},
    onJoined = () => {},
    onResync = () => window.location.reload(),
    editingTitle = () => "an initiative",
  } = options;

  let lastSeen = Number(bar.dataset.lastSeq) || 0; // every event up to here is applied or queued
  let lastUpdate = new Date(); // the page reflects the server as of this moment
  let state = "connecting";
  let connection = 0; // counts connections: an answer meant for an earlier one is ignored
  let joiningOn = 0; // the connection a join is under way on (0: none)
  let ended = false; // the server will not have us any more (signed out): no more retrying
  let wanted = 0; // the highest seq seen past a gap: a join must bring us at least there
  let joinRetries = 0;
  let failedAttempts = 0; // connection attempts in a row that failed
  let editing = null;
  let chain = Promise.resolve();

  bar.hidden = false;

  function render() {
    const words = {
      connecting: "Connecting…",
      live: "Live",
      reconnecting: "Reconnecting…",
      offline: "Offline",
    };
    bar.dataset.state = state;
    stateText.textContent = words[state];
    const when = clock(lastUpdate);
    timeText.textContent =
      state === "live"
        ? `Last update ${when}`
        : `Showing changes up to ${when}; others’ changes will appear when the connection is back.`;
  }

  function setState(next, sentence) {
    const was = state;
    state = next;
    render();
    if (was === next) return;
    // Tell screen-reader users when the board stops (or starts again) being live; not the
    // first "connecting → live" on every page load.
    if (sentence) announce(sentence, "news");
    else if (next === "live" && (was === "reconnecting" || was === "offline")) {
      announce("Live again.", "news");
    } else if (next === "reconnecting" && was === "live") {
      announce("The live connection was lost; reconnecting.", "news");
    } else if (next === "offline" && was !== "connecting") {
      announce("Offline: changes by others will not appear until the connection is back.", "news");
    }
  }

  // Reconnecting has one owner: socket.io-client's manager, which retries with backoff
  // whenever the connection drops. The page only tells it when to try *now* (see `recheck`).
  const socket = io({
    // A WebSocket straight away (one round trip, no upgrade dance); long-polling only where
    // a WebSocket cannot get through.
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    // Retries after 0.25–0.75 s, then further apart, but never more than RETRY_MAX_MS: a
    // server that is back is found within that (the issue's bound is 5 s in all).
    reconnectionDelay: 500,
    reconnectionDelayMax: RETRY_MAX_MS,
    // A handshake not done by then is given up and tried again.
    timeout: HANDSHAKE_MS,
    autoConnect: false,
  });
  // Connect once the page has settled: a page left at once (a redirect, a quick click
  // through) never opens a socket, so the server never handles a join for a socket that is
  // already going away. Nothing is missed meanwhile: the join asks for everything after the
  // sequence number the page was rendered at.
  const connectSoon = () => setTimeout(() => connectNow(), 250);
  if (document.readyState === "complete") connectSoon();
  else window.addEventListener("load", connectSoon, { once: true });

  function run(event) {
    // Read names before the event changes the page (an archived card is gone afterwards).
    const sentence =
      event.actor.user.id !== me.id && announceIf(event) ? describe(event, describeWith) : null;
    chain = chain
      .then(() => onEvent(event))
      .then(() => {
        lastUpdate = new Date();
        render();
        if (sentence) announce(sentence);
      })
      .catch((error) => {
        // The page no longer mirrors the server: the server's word is final.
        console.error("A live change could not be applied; reloading.", error);
        window.location.reload();
      });
  }

  function receive(event) {
    if (!event || event.board_id !== boardId) return;
    if (event.seq <= lastSeen) return; // a replayed duplicate
    if (event.seq !== lastSeen + 1) {
      // A gap: ask for everything after the last one seen (that includes this one).
      wanted = Math.max(wanted, event.seq);
      join();
      return;
    }
    lastSeen = event.seq;
    run(event);
  }

  // Join the board on this connection, asking for everything after the last event applied.
  // Also the check that a connection which looks open still works: the server answers
  // within `within` ms, or the connection is taken for dead and a new one is made.
  function join(within = JOIN_MS) {
    // Not connected: the join follows the connection. One under way on this connection: it
    // is checked against `wanted` when it answers.
    if (!socket.connected || joiningOn === connection) return;
    const on = (joiningOn = connection);
    const since = lastSeen;
    socket.timeout(within).emit("join", { board_id: boardId, since }, (err, ack) => {
      if (on !== connection) return; // an answer on an earlier connection: that one is gone
      joiningOn = 0;
      if (err) {
        // The connection dropped meanwhile (the next one joins again), or no answer on a
        // connection that still looks open: it is dead (a sleep, a lost route), so make a
        // new one now rather than wait for the heartbeat to notice.
        if (socket.connected) {
          setState("reconnecting");
          connectNow();
        }
        return;
      }
      if (ack && ack.error) {
        if (ack.error.code === "unauthenticated") sessionEnded();
        else setState("offline", `Live updates are unavailable: ${ack.error.message}`);
        return;
      }
      if (ack.resync) {
        // Too far behind (or ahead) to replay: the page reloads its state from the server.
        // Ahead (the page was rendered after a change the server has not sent out yet):
        // what comes up to here is a duplicate when it arrives.
        if (since <= ack.last_seq) lastSeen = ack.last_seq;
        wanted = 0;
        onResync();
      } else if (Math.max(wanted, ack.last_seq) > lastSeen) {
        // Something is still missing: ask again (a few times at most).
        if (++joinRetries <= 3) {
          join();
          return;
        }
        lastSeen = Math.max(wanted, ack.last_seq);
        wanted = 0;
        onResync();
      }
      joinRetries = 0;
      chain = chain.then(() => {
        // Live once what the join replayed is applied, if this connection is still the one.
        if (on !== connection || !socket.connected) return;
        lastUpdate = new Date();
        setState("live");
      });
      if (editing !== null) sendEditing();
      onJoined();
    });
  }

  function sessionEnded() {
    ended = true;
    socket.disconnect();
    setState(
      "offline",
      "Your session has ended, so changes by others no longer appear. Sign in again.",
    );
    stateText.textContent = "Offline — sign in again";
  }

  function sendEditing() {
    socket.emit("editing", { board_id: boardId, initiative_id: editing }, () => {});
  }

  socket.on("connect", () => {
    connection += 1;
    failedAttempts = 0;
    join();
  });
  socket.on("board_event", receive);
  // This person's own notifications (their room): the header's count.
  socket.on("notifications", ({ unread }) => showUnread(unread));
  // The board's history was restored or replaced on the server: what this page holds
  // cannot be continued, so it takes the board afresh.
  socket.on("resync", (message) => {
    if (!message || message.board_id !== boardId) return;
    lastSeen = message.last_seq;
    wanted = 0;
    onResync();
  });
  socket.on("presence", (presence) => {
    if (!presence || presence.board_id !== boardId) return;
    const viewers = presence.viewers.map((v) => ({
      ...v,
      isMe: v.user === me.name && v.organisation === me.organisation,
    }));
    drawPresence(viewers);
    onPresence(viewers);
  });
  socket.on("disconnect", (reason) => {
    // What was queued for this connection is not sent on the next one: that one joins anew.
    socket.sendBuffer = [];
    if (reason === "io server disconnect") sessionEnded();
    else if (reason !== "io client disconnect") setState("reconnecting");
  });
  // "Offline" only after an attempt has failed (`failedAttempts`), never as the next one
  // starts: that one may be the one that works (a restarted server), and "Offline" followed
  // at once by "Live again." is noise.
  socket.on("connect_error", () => {
    // `active` false: the server refused the connection itself (signed out), no retrying.
    if (!socket.active) sessionEnded();
    else {
      failedAttempts += 1;
      setState(!navigator.onLine || failedAttempts > 6 ? "offline" : "reconnecting");
    }
  });
  socket.io.on("reconnect_attempt", () => {
    lastTry = Date.now();
    if (state !== "offline") setState("reconnecting");
  });

  // --- when to try now ---------------------------------------------------------------------
  //
  // The manager's retries are enough while nothing else happens. But when the network comes
  // back, its next retry may be seconds away, or never come: an attempt under way when the
  // browser went offline is closed without a word to the manager, which then waits out its
  // handshake timeout. And after a sleep, a connection that looks open may lead nowhere.
  // So on every sign that the page is back (the browser online again, a frozen tab resumed,
  // a page back from the back-forward cache, timers that ran late because the machine
  // slept), `recheck`: a connection that looks open must answer a join at once; without one,
  // the manager starts over now.
  let lastTry = Date.now(); // when the manager last began an attempt (or was told to)
  let leaving = false; // the page is being left (or put in the back-forward cache)

  function connectNow() {
    if (ended || leaving) return;
    lastTry = Date.now();
    // Drop whatever the manager was doing (a wait before the next retry, an attempt that
    // will never finish) and start over with its backoff reset; it retries from there.
    socket.disconnect();
    socket.connect();
  }

  function recheck() {
    if (ended || leaving) return;
    if (socket.connected) join(CHECK_MS);
    else {
      if (state === "offline" && navigator.onLine) setState("reconnecting");
      connectNow();
    }
  }

  // A tick that notices the machine slept (it runs late), and a manager that has stopped
  // trying (disconnected, and no attempt for longer than its longest wait plus a handshake).
  let lastTick = Date.now();
  function tick() {
    const now = Date.now();
    const late = now - lastTick;
    lastTick = now;
    // A hidden tab's timers may be held back for up to a minute without any sleep.
    if (late > (document.hidden ? HIDDEN_SLEPT_MS : SLEPT_MS)) recheck();
    else if (!socket.connected && !ended && !leaving && now - lastTry > STUCK_MS) connectNow();
  }
  setInterval(tick, TICK_MS);

  window.addEventListener("offline", () => {
    if (!ended) setState("offline");
  });
  window.addEventListener("online", recheck);
  document.addEventListener("resume", recheck);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) tick();
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    leaving = false;
    recheck();
  });
  // Leaving: say so at once, so presence is right for the others. Not while a join is still
  // being answered: the server's join handler fails if its socket goes meanwhile; the
  // transport closing tells the server soon enough.
  window.addEventListener("pagehide", () => {
    leaving = true;
    if (!joiningOn) socket.disconnect();
  });

  function drawPresence(viewers) {
    if (!presenceList) return;
    presenceList.replaceChildren(
      ...viewers.map((v) => {
        const item = document.createElement("li");
        const name = document.createElement("span");
        name.className = "viewer";
        name.textContent = `${v.user} (${v.organisation}${v.isMe ? ", you" : ""})`;
        item.append(name);
        if (v.editing !== null && v.editing !== undefined) {
          const what = document.createElement("span");
          what.className = "viewer-editing";
          what.textContent = ` — editing ${editingTitle(v.editing)}`;
          item.append(what);
        }
        return item;
      }),
    );
  }

  render();

  return {
    me,
    socket,
    announce,
    /** Tell the others which initiative this page edits (or null). */
    setEditing(initiativeId) {
      editing = initiativeId;
      if (socket.connected && state === "live") sendEditing();
    },
    /** Run after everything queued so far has been applied. */
    settled() {
      return chain;
    },
  };
}
