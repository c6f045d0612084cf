"""Machine output that is safe to print on a terminal: JSON whose text never drives it.

JSON already escapes C0 control characters (ESC becomes ``\\u001b``), but with
``ensure_ascii=False`` it writes DEL, the C1 controls (U+009B is a one-character CSI on
many terminals), the bidirectional formatting marks and the line separators as they are.
:func:`json_text` escapes those too; the escapes are JSON's own, so a program that parses
the output reads exactly the stored text, and ``export`` still round-trips through
``record`` unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

# DEL, C1, and the characters that reorder or break a line (what domain.text.terminal_safe
# shows as escapes) that JSON would otherwise leave as they are.
_LEFT_RAW_BY_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(data: Any, *, indent: int | None = None) -> str:
    """``data`` as JSON (non-ASCII text kept readable), with every character that could
    drive a terminal written as a ``\\uXXXX`` escape."""
    return _LEFT_RAW_BY_JSON.sub(_escape, json.dumps(data, indent=indent, ensure_ascii=False))
