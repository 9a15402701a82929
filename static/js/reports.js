// The reports page: a download shows that the file is being generated, then saves it.
//
// Without this script the download links are plain links to the API and simply download.
// With it, a click fetches the file (same origin, the session cookie), says "Generating …" in
// a polite live region while the server works, then hands the file to the browser under the
// server's file name and says what was saved, or why it failed. While the person's other
// reports are still being built (429), it waits as the server's Retry-After says and asks
// again. A Print button appears too: printing needs a script, and the print stylesheet leaves
// only the report on the paper.

const region = document.getElementById("downloads");
const list = document.getElementById("download-list");
const status = document.getElementById("download-status");
const progress = document.getElementById("download-progress");
const elapsed = document.getElementById("download-elapsed");
const week = region.dataset.week;
let busy = false;

function fileName(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename="?([^";]+)"?/.exec(header);
  return match ? match[1] : fallback;
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

async function problem(response) {
  // The API answers errors as {"error": {"message": …}}; a sign-in page or a proxy may not.
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch {
    // not JSON
  }
  if (response.status === 401) return "you are no longer signed in; sign in again";
  return `the server answered ${response.status}`;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has started reading the blob by now; free it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

function setBusy(on, link) {
  busy = on;
  region.classList.toggle("is-busy", on);
  if (on) list.setAttribute("aria-busy", "true");
  else list.removeAttribute("aria-busy");
  for (const other of list.querySelectorAll("a.download")) {
    if (on) other.setAttribute("aria-disabled", "true");
    else other.removeAttribute("aria-disabled");
  }
  if (link) link.classList.toggle("is-generating", on);
  progress.hidden = !on;
}

async function download(link) {
  const label = link.dataset.label;
  const started = performance.now();
  setBusy(true, link);
  status.classList.remove("is-error");
  status.textContent = `Generating the ${label} for ${week}…`;
  elapsed.textContent = "";
  const timer = setInterval(() => {
    elapsed.textContent = `${Math.round((performance.now() - started) / 1000)} s`;
  }, 1000);
  try {
    let response = await fetch(link.href, { credentials: "same-origin" });
    // 429: this person's other reports are still being built; the server says when to ask again.
    for (let attempt = 0; response.status === 429 && attempt < 20; attempt += 1) {
      const wait = Math.min(Math.max(Number(response.headers.get("Retry-After")) || 3, 1), 30);
      status.textContent = `Your other reports are still being generated; the ${label} for ${week} is next (asking again in ${wait} s)…`;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      response = await fetch(link.href, { credentials: "same-origin" });
    }
    if (!response.ok) throw new Error(await problem(response));
    const blob = await response.blob();
    const name = fileName(response, link.getAttribute("download"));
    save(blob, name);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    status.textContent = `${label} ready: ${name} (${size(blob.size)}, generated in ${seconds} s).`;
  } catch (error) {
    status.classList.add("is-error");
    const reason = error.message.replace(/\.$/, "");
    status.textContent = `The ${label} could not be generated: ${reason}. Try again in a moment.`;
  } finally {
    clearInterval(timer);
    setBusy(false, link);
  }
}

list.addEventListener("click", (event) => {
  const link = event.target.closest("a.download");
  // A click with a modifier (new tab, save as …) keeps the browser's own behaviour.
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  if (!busy) download(link);
});

const printRow = document.getElementById("print-row");
printRow.hidden = false;
document.getElementById("print-report").addEventListener("click", () => window.print());
