// The header's unread count ("Notifications (3 unread)"), kept current by any page that holds
// a socket: the server sends `notifications` {unread} to the person's own room.

export function showUnread(unread) {
  const count = document.getElementById("notification-count");
  if (!count || typeof unread !== "number" || unread < 0) return;
  count.dataset.unread = String(unread);
  count.textContent = unread ? ` (${unread} unread)` : "";
}
