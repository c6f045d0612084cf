"""Machine output that is safe to print on a terminal: JSON whose text never drives it.

JSON already escapes C0 control characters (ESC becomes ``\\u001b``), but with
``ensure_ascii=False`` it writes DEL, the C1 controls (U+009B is a one-character CSI on
many terminals), the bidirectional formatting marks and the line separators as they are.
:func:`json_text` and :func:`json_bytes` escape those too; the escapes are JSON's own, so
a program that parses the output reads exactly the stored text, and ``export`` still
round-trips through ``record`` unchanged. JSON has no NaN or infinity: a figure that is not
a finite number (a sum over a store written before amounts had a maximum) is written as
``null``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import click
import orjson

# DEL, C1, and the characters that reorder or break a line (what domain.text.terminal_safe
# shows as escapes) that JSON would otherwise leave as they are.
_LEFT_RAW_BY_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _finite(data: Any) -> Any:
    """``data`` with every float that is not finite replaced by None."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data


# The same characters in UTF-8, by the byte that begins them. Most JSON holds few of those
# bytes, and a pattern that starts with one is found by a fast scan for it (one pattern for
# all of them would walk every byte of a 20 MB report in Python's regular-expression loop).
_LEFT_RAW_UTF8 = tuple(
    (lead, re.compile(pattern))
    for lead, pattern in (
        (b"\x7f", rb"\x7f"),
        (b"\xc2", rb"\xc2[\x80-\x9f]"),
        (b"\xd8", rb"\xd8\x9c"),
        (b"\xe2", rb"\xe2(?:\x80[\x8e\x8f\xa8-\xae]|\x81[\xa6-\xa9])"),
    )
)


def _escape_utf8(match: re.Match[bytes]) -> bytes:
    return f"\\u{ord(match.group().decode()):04x}".encode()


def json_bytes(data: Any) -> bytes:
    """:func:`json_text` of ``data`` indented by two, as UTF-8 with a final newline: what a
    command writes straight to its binary output. A report of ten thousand partnerships is
    20 MB of it; made and written as bytes, it is never decoded and encoded again."""
    raw = orjson.dumps(
        data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
    )
    for lead, pattern in _LEFT_RAW_UTF8:
        if lead in raw:
            raw = pattern.sub(_escape_utf8, raw)
    return raw


def echo_json(data: Any) -> None:
    """Write ``data`` to standard output as :func:`json_bytes` makes it."""
    click.echo(json_bytes(data), nl=False)


def json_text(data: Any) -> str:
    """``data`` as strict JSON on one line (non-ASCII text kept readable, never NaN or
    Infinity), with every character that could drive a terminal written as a ``\\uXXXX``
    escape: an ``export`` line. Indented output is :func:`json_bytes`'s (orjson's, several
    times faster; it writes a figure that is not finite as ``null`` itself)."""
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: rare, so looked for only then
        text = json.dumps(_finite(data), ensure_ascii=False, allow_nan=False)
    return _LEFT_RAW_BY_JSON.sub(_escape, text)
