"""Text that comes from outside: which characters a field may hold, and how stored text is
shown on a terminal.

Event lines may not carry control characters (NUL, ESC, the rest of C0 and C1, DEL); free
text may hold tabs and newlines. Stores written before that rule may still hold them, so
every front end shows stored text through :func:`terminal_safe`: a stored ESC sequence is
then printed as the visible text ``\\x1b[...`` instead of being obeyed by the terminal.
"""

from __future__ import annotations

import re

# Control characters (Unicode category Cc) except tab and newline: what free text refuses.
CONTROLS_BUT_TAB_NEWLINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Every control character: what identifiers refuse.
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What a terminal must not receive as is: control characters, the bidirectional formatting
# characters (they reorder what follows them on the line) and the line/paragraph separators.
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
NEWLINE_MARK = "↵"


def has_control(text: str, *, allow_tab_newline: bool = True) -> bool:
    """Does ``text`` hold a control character (tab and newline aside when allowed)?"""
    if text.isprintable():  # the common case, without a regex
        return False
    pattern = CONTROLS_BUT_TAB_NEWLINE if allow_tab_newline else CONTROLS
    return pattern.search(text) is not None


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, multiline: bool = False) -> str:
    """``text`` made safe to print on a terminal.

    Every control character and every character that reorders or breaks the line is shown
    as a visible escape: ESC as ``\\x1b``, NUL as ``\\x00``, U+202E as ``\\u202e``. A tab
    becomes a space. A newline is kept when ``multiline``; otherwise (a table cell, one line
    of a log) it is shown as ``↵``. Anything else, emoji and accents included, is unchanged.
    """
    if text.isprintable():
        return text
    text = text.replace("\t", " ")
    if multiline:
        lines = text.split("\n")
        return "\n".join(_UNSAFE.sub(_visible, line) for line in lines)
    return _UNSAFE.sub(_visible, text.replace("\n", NEWLINE_MARK))
