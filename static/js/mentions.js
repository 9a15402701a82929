// The progress note's mention picker: a combobox ("Mention a person or organisation") that
// lists matching active people and organisations from /api/v1/mentionable; choosing one (Enter
// or a click) writes `@[Name](user:ID)` into the note at the caret and returns to the note.
// Without the script the picker stays hidden and a mention can be typed in that form.

let counter = 0;

export function enhanceMentions(root) {
  for (const picker of root.querySelectorAll(".mention-picker")) {
    if (picker.dataset.ready) continue;
    picker.dataset.ready = "1";
    const form = picker.closest("form");
    const note = form && form.querySelector("textarea");
    const input = picker.querySelector("[role=combobox]");
    const list = picker.querySelector("[role=listbox]");
    const status = picker.querySelector("[aria-live]");
    if (!note || !input || !list) continue;
    picker.hidden = false;
    let options = [];
    let active = -1;
    let asked = 0;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      options = [];
      active = -1;
    }

    function highlight(index) {
      active = index;
      [...list.children].forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
      const item = list.children[index];
      if (item) {
        input.setAttribute("aria-activedescendant", item.id);
        item.scrollIntoView({ block: "nearest" });
      }
    }

    function choose(index) {
      const chosen = options[index];
      if (!chosen) return;
      const start = note.selectionStart ?? note.value.length;
      const end = note.selectionEnd ?? start;
      const before = note.value.slice(0, start);
      const spacer = before && !/\s$/.test(before) ? " " : "";
      const text = `${spacer}${chosen.mention} `;
      note.value = before + text + note.value.slice(end);
      const caret = start + text.length;
      close();
      input.value = "";
      note.focus();
      note.setSelectionRange(caret, caret);
      if (status) status.textContent = `${chosen.name} will be mentioned.`;
    }

    async function search() {
      const query = input.value.trim();
      const mine = ++asked;
      if (!query) {
        close();
        return;
      }
      const response = await fetch(`/api/v1/mentionable?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
      });
      if (mine !== asked || !response.ok) return;
      options = await response.json();
      list.replaceChildren(
        ...options.map((option, i) => {
          const item = document.createElement("li");
          item.id = `mention-option-${++counter}`;
          item.setAttribute("role", "option");
          item.setAttribute("aria-selected", "false");
          item.textContent = `${option.name} (${option.detail})`;
          item.addEventListener("mousedown", (event) => event.preventDefault());
          item.addEventListener("click", () => choose(i));
          return item;
        }),
      );
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", String(options.length > 0));
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (status) {
        status.textContent = options.length
          ? `${options.length} found; use the arrow keys, then Enter.`
          : "Nobody found.";
      }
    }

    input.addEventListener("input", search);
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && options.length) {
        event.preventDefault();
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp" && options.length) {
        event.preventDefault();
        highlight((active - 1 + options.length) % options.length);
      } else if (event.key === "Enter") {
        // Enter chooses; it never sends the note from here.
        event.preventDefault();
        choose(active >= 0 ? active : 0);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        event.stopPropagation(); // closes the list, not the dialog around it
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }
}
