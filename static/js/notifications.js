// The notifications page: when a new one arrives (`notifications` on this person's socket),
// the list is fetched again and replaced, the header's count updated, and the change said in
// the page's status line. Without the script the page is the same, current when loaded.
import { io } from "../vendor/socket.io.esm.min.js";
import { showUnread } from "./unread.js";

const page = document.getElementById("notifications");

async function refresh() {
  const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const html = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = html.getElementById("notifications");
  if (!fresh || !page) return;
  const summary = document.getElementById("notifications-summary");
  const said = html.getElementById("notifications-summary");
  if (summary && said) summary.textContent = `New notification. ${said.textContent}`;
  // The control that has the focus keeps it when it is still there (same id or action).
  const focused = document.activeElement;
  const key = focused && (focused.closest("form")?.getAttribute("action") || focused.id);
  page.replaceChildren(...fresh.childNodes);
  page.dataset.unread = fresh.dataset.unread;
  if (key) {
    const again =
      page.querySelector(`form[action="${CSS.escape(key)}"] button`) ||
      (focused.id ? document.getElementById(focused.id) : null);
    if (again) again.focus();
  }
}

if (page) {
  const socket = io({ transports: ["websocket", "polling"], tryAllTransports: true });
  socket.on("notifications", async ({ unread }) => {
    showUnread(unread);
    if (unread > Number(page.dataset.unread || 0)) {
      await refresh();
    }
  });
}
