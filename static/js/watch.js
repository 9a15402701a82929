// A card's Watch / Stop watching button: sent through the JSON API, and the button turned
// round in place, so the board neither reloads nor loses the focus. Should the API refuse
// or not answer, the form is sent as a page would, and the server's page says what happened.

async function sendWatch(form, submitter, csrfToken, say) {
  const card = form.closest("li.card");
  const id = card ? card.dataset.initiativeId : null;
  const wanted = form.elements.watching.value === "1";
  let response;
  try {
    response = await fetch(`/api/v1/initiatives/${id}/watch`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      credentials: "same-origin",
      body: JSON.stringify({ watching: wanted }),
    });
  } catch {
    response = null;
  }
  if (!id || !response || !response.ok) {
    form.dataset.plain = "1";
    form.requestSubmit(submitter);
    return;
  }
  const { watching } = await response.json();
  form.elements.watching.value = watching ? "0" : "1";
  // The button's first text node is what it does; the hidden title after it stays.
  submitter.firstChild.textContent = watching ? "Stop watching" : "Watch";
  const title = card.querySelector(".card-title").textContent.trim();
  say(
    watching
      ? `You are watching “${title}”: its changes come to your notifications.`
      : `You no longer watch “${title}”.`,
  );
}

export function enhanceWatching(root, csrfToken, say) {
  root.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-watch")) return;
    if (form.dataset.plain) return; // the fallback: let the browser send it
    event.preventDefault();
    sendWatch(form, event.submitter || form.querySelector("button"), csrfToken, say);
  });
}
