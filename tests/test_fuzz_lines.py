"""Fuzz: the event line parser, in-process (thousands of lines a second).

Whatever a line holds, reading it either gives an event line or names what is wrong in
one-line messages — never another exception. What it accepts, ``export`` writes back as a
line it accepts again, unchanged. Inputs come from :mod:`tests.fuzz_support` (good lines
bent a few fields at a time, broken JSON, deep nesting, text of every kind); their number
from the ``TRUSTLEDGER_CHAOS`` profile.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from trustledger.domain.codec import line_payload
from trustledger.domain.errors import InvalidLine, LineError, error_lines
from trustledger.domain.events import EventLine
from trustledger.domain.ledger import check_line, parse_line

from tests.fuzz_support import BENT_LINES, RAW_LINES, count, fuzz_settings

#: The longest message a problem may have (four quoted values' worth).
LONGEST_MESSAGE = 4 * 80 + 200


def assert_problems_are_lines(exc: InvalidLine) -> None:
    assert exc.problems
    for field, message in exc.problems:
        assert field is None or isinstance(field, str)
        assert isinstance(message, str) and message
        assert "\n" not in message and "\r" not in message, message
        assert len(message) <= LONGEST_MESSAGE, len(message)
    rendered = error_lines(LineError("input", 7, f, m) for f, m in exc.problems)
    assert len(rendered) == 1
    assert rendered[0].startswith("input:7: ")


def assert_round_trip(line: EventLine) -> None:
    again = parse_line(json.dumps(line_payload(line)))
    assert line_payload(again) == line_payload(line)


@fuzz_settings(quick=1500, full=15000)
@given(RAW_LINES)
def test_any_line_is_read_or_refused_in_one_line(text: str) -> None:
    count("parse_line")
    try:
        line = parse_line(text)
    except InvalidLine as exc:
        assert_problems_are_lines(exc)
        return
    assert isinstance(line, EventLine)
    assert_round_trip(line)


@fuzz_settings(quick=500, full=5000)
@given(st.one_of(BENT_LINES, st.dictionaries(st.text(max_size=10), st.none(), max_size=3)))
def test_any_mapping_is_read_or_refused_in_one_line(values: dict) -> None:
    """The path of forms and command-line options: a mapping, not JSON text."""
    count("check_line")
    try:
        line = check_line(values)
    except InvalidLine as exc:
        assert_problems_are_lines(exc)
        return
    assert_round_trip(line)
