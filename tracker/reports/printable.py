"""The one rule for text a report shows: no character that a format cannot carry or a reader
cannot see. Applied to every report and to the board as it was (`replay.board_at`), because
events written before the entry points refused control characters may still hold them."""

from __future__ import annotations

import re
from typing import Any

# Characters no report may carry, whatever the event log holds: C0 and C1 controls other than
# tab, line feed and carriage return (XML 1.0 — XLSX, the SVG charts — forbids most of them,
# and none of them shows), lone surrogates (they cannot be encoded) and the non-characters
# U+FFFE and U+FFFF (XML forbids them too), and the bidirectional embeddings, overrides and
# isolates the text rule refuses (`tracker.text`): they would make the rest of a cell or line
# read backwards.
UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
# Shown in their place: the Unicode replacement character, which every format carries and
# every font draws, and which tells the reader something was there (a "?" would pass for a
# real question mark, and dropping the character would silently join the text around it).
REPLACEMENT = "\ufffd"


def printable(value: Any) -> Any:
    """`value` (a report, or any part of it: dicts, lists, strings, anything else as it is)
    with every unprintable character in its text replaced by U+FFFD; same shape."""
    if isinstance(value, str):
        return UNPRINTABLE.sub(REPLACEMENT, value) if UNPRINTABLE.search(value) else value
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value
