"""The one rule for text a person types, at every entry point (API, page and admin forms,
the command line).

Refused everywhere, with a reason naming the character:

- C0 control characters (U+0000–U+001F) and DEL (U+007F): no keyboard types them into a
  field; they break exports (XML, so XLSX, cannot hold most of them), terminals and logs,
  and PostgreSQL cannot store U+0000 at all.
- C1 control characters (U+0080–U+009F): no keyboard types them either; they appear only
  when text was decoded with the wrong character set (Windows-1252 read as Latin-1), and
  XML 1.0 discourages them. Refusing them shows the person the broken paste at once.
- Lone surrogates (U+D800–U+DFFF, which JSON's `\\ud800` escapes can produce) and the
  noncharacters U+FFFE and U+FFFF: they are not text; UTF-8 cannot encode a surrogate (so
  the database cannot store it) and XML forbids all of them.

- Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they
  reorder the text around them, so that a title can make the rest of a line, a message or an
  export read backwards (the "Trojan Source" characters). The marks U+200E, U+200F and U+061C,
  which right-to-left text needs, stay allowed.

A required field must hold something visible: white space and invisible format characters
(a zero-width space alone, say) are no title (`visible`).

Tab and line breaks are allowed only in multi-line fields (summary, barriers, the reason for
a RAG status, a progress note), where a line break is stored as `\\n` whatever the client
sent (a browser sends CRLF from a `<textarea>`). Single-line fields (titles, names, the next
step, e-mail addresses) take none of tab, CR, LF, or the Unicode line and paragraph
separators U+2028/U+2029.
"""

from __future__ import annotations

import re
import unicodedata

from tracker.errors import Invalid

_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
_NEWLINES = re.compile("\r\n?")


def _code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


def problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is not acceptable text for a field, or None when it is.

    The reason reads after the field's name: "Title: must not contain …".
    """
    found = _NOT_TEXT.search(value)
    if found:
        character = found.group()
        if "\ud800" <= character <= "\udfff":
            return f"must be valid Unicode text (found the lone surrogate {_code_point(character)})"
        return (
            "must not contain control characters "
            f"(found {_code_point(character)} at character {found.start() + 1})"
        )
    found = _BIDI_CONTROLS.search(value)
    if found:
        return (
            "must not contain bidirectional formatting characters, which reorder the text "
            f"around them (found {_code_point(found.group())} at character {found.start() + 1})"
        )
    if not multiline:
        found = _LINE_BREAKS.search(value)
        if found:
            what = "a tab" if found.group() == "\t" else "a line break"
            return (
                f"must be a single line without tabs or line breaks "
                f"(found {what} at character {found.start() + 1})"
            )
    return None


def clean(value: str, field: str, *, multiline: bool = False) -> str:
    """`value` checked against the rule, line breaks stored as `\\n` in multi-line fields.

    Raises `Invalid({field: reason})`.
    """
    reason = problem(value, multiline=multiline)
    if reason is not None:
        raise Invalid({field: reason})
    return _NEWLINES.sub("\n", value) if multiline else value


def visible(value: str) -> bool:
    """Whether `value` shows anything: a character that is neither white space nor an
    invisible format character (Unicode category Cf: U+200B zero-width space, U+2060 word
    joiner, U+FEFF, the soft hyphen …)."""
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in value)


def folded(value: str) -> str:
    """`value` for matching what a person typed, case- and accent-insensitively: "Équipe"
    and "equipe" fold alike (Unicode compatibility decomposition, combining marks dropped,
    case folded)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
