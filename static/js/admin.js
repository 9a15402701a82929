// Administration and account pages: a "Copy" button beside a one-time link or a new token.
// Without this script the text field is still there to select and copy by hand.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const input = document.getElementById(button.dataset.copy);
  const status = document.getElementById(`${button.dataset.copy}-status`);
  button.hidden = false;
  button.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = "Copied.";
    } catch {
      status.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
    }
  });
}
