"""What the fuzz tests generate: event lines (good, bent and broken), option values, argv.

No tests here.

How many inputs a fuzz test runs comes from a hypothesis profile chosen by the environment
variable ``TRUSTLEDGER_CHAOS``: ``quick`` (the default: ``make test``) or ``full``
(``make chaos``). Both are derandomized — every run generates the same inputs, so a failure
found once is found again — keep no example database, and set no deadline (the machine's
load is no failure). :func:`fuzz_settings` gives a test its count under the chosen profile,
and :func:`count` tallies what ran (:data:`KILLED`, what the kill -9 rounds left), for
the summary ``make chaos`` prints (:func:`pytest_terminal_summary`).
"""

from __future__ import annotations

import functools
import json
import os
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

import click
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from trustledger.domain.events import DIMENSIONS
from trustledger.projections.config import SETTINGS

PROFILE_ENV = "TRUSTLEDGER_CHAOS"
PROFILE = os.environ.get(PROFILE_ENV, "quick").strip() or "quick"
if PROFILE not in ("quick", "full"):
    raise RuntimeError(f"{PROFILE_ENV} must be 'quick' or 'full', not {PROFILE!r}")

for _name, _examples in (("quick", 100), ("full", 1000)):
    settings.register_profile(
        f"chaos-{_name}",
        max_examples=_examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
    )

#: Inputs each fuzz test ran in this session: test name -> count.
RAN: Counter[str] = Counter()
#: What the kill -9 rounds left in the store: "backend: none/all left" -> count.
KILLED: Counter[str] = Counter()


def fuzz_settings(quick: int, full: int) -> settings:
    """The chosen profile, running ``quick`` examples (``make test``) or ``full``."""
    return settings(
        settings.get_profile(f"chaos-{PROFILE}"), max_examples=quick if PROFILE == "quick" else full
    )


def count(name: str) -> None:
    RAN[name] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """What the fuzzers ran, under which profile: printed when this module is loaded as a
    plugin (``pytest -p tests.fuzz_support``, as ``make chaos`` does)."""
    if RAN:
        terminalreporter.section(f"fuzz inputs ({PROFILE} profile)")
        for name, ran in sorted(RAN.items()):
            terminalreporter.write_line(f"{name:<28} {ran:>7,}")
        terminalreporter.write_line(f"{'in all':<28} {sum(RAN.values()):>7,}")
    if KILLED:
        terminalreporter.section(f"kill -9 of record ({PROFILE} profile)")
        for name, ran in sorted(KILLED.items()):
            terminalreporter.write_line(f"{name:<28} {ran:>7,}")


# -- values --------------------------------------------------------------------------------

#: Text that has broken parsers before: control characters, escapes, bidi marks, surrogates
#: spelled out, very long runs, numbers that are not numbers.
NASTY = [
    "",
    " ",
    "\t",
    "-",
    "--",
    "0",
    "-1",
    "1e999",
    "nan",
    "inf",
    "-0",
    "9" * 40,
    "null",
    "true",
    "[]",
    "{}",
    '"',
    "'",
    "\\",
    "%s%n",
    "\x00",
    "\x1b[2J\x1b[H",
    "\x7f",
    "\u0085",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ud7ff",
    "😀",
    "a" * 5000,
    "é" * 300,
    "~",
    "..",
]

#: Days and times at and past the ends of the calendar, and not quite days at all.
NASTY_DAYS = [
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2026-02-30",
    "2025-13-01",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2025-06-30T17:00:00Z",
    "2025-06-30T17:00:00",
    "2025-06-30t17:00:00z",
    "2025-06-30T24:00:00+14:00",
    "2025-06",
    "2025-00",
    "99999-01",
]

#: Characters for names that stay inside the working directory (no "/" and no "~").
SAFE_CHARS = string.ascii_letters + string.digits + "-_.: é😀\t\x1b\x00"


# Strategies are built once: hypothesis validates a strategy the first time it draws from
# it, and building them anew inside every draw costs more than the test itself.
NASTY_TEXT: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(NASTY_DAYS),
    st.text(alphabet=SAFE_CHARS, max_size=40),
    st.text(max_size=20).filter(lambda s: "/" not in s and not s.startswith("~")),
)

DATES: st.SearchStrategy[str] = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(NASTY_DAYS),
)

NUMBERS: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 5, 6, 730, 731, 1e15, 1e15 + 1, -0.0, 10**30]),
)

#: Numbers JSON can hold (no NaN, no infinity).
JSON_NUMBERS: st.SearchStrategy[Any] = NUMBERS.filter(
    lambda n: not isinstance(n, float) or (n == n and abs(n) != float("inf"))
)

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), JSON_NUMBERS, NASTY_TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=8,
)


# -- event lines ---------------------------------------------------------------------------

#: Partnerships the fuzzers' base store holds, with what each has: an open commitment
#: ("c1"), an open issue ("i1"); "gone" has ended.
BASE_LINES = [
    {"type": "partnership_registered", "partnership": "acme", "name": "Acme", "id": "b1"},
    {"type": "partnership_registered", "partnership": "gone", "name": "Gone", "id": "b2"},
    {
        "type": "commitment_made",
        "partnership": "acme",
        "commitment": "c1",
        "by": "us",
        "summary": "S",
        "due": "2025-06-01",
        "id": "b3",
    },
    {"type": "issue_raised", "partnership": "acme", "issue": "i1", "summary": "S", "id": "b4"},
    {"type": "partnership_ended", "partnership": "gone", "id": "b5"},
]
BASE_DAY = "2025-01-02"

#: One valid line of every type (against the base store), for the fuzzers to bend.
GOOD_LINES: list[dict[str, Any]] = [
    {
        "type": "partnership_registered",
        "partnership": "newco",
        "name": "New Co",
        "kind": "alliance",
    },
    {
        "type": "commitment_made",
        "partnership": "acme",
        "commitment": "c2",
        "by": "partner",
        "summary": "Deliver",
        "due": "2025-09-01",
        "weight": 3,
    },
    {
        "type": "commitment_renegotiated",
        "partnership": "acme",
        "commitment": "c1",
        "due": "2025-12-01",
    },
    {"type": "commitment_kept", "partnership": "acme", "commitment": "c1"},
    {"type": "commitment_missed", "partnership": "acme", "commitment": "c1"},
    {
        "type": "review_held",
        "partnership": "acme",
        "scores": {"vision": 4},
        "partner_scores": {"risk": 2},
    },
    {
        "type": "issue_raised",
        "partnership": "acme",
        "issue": "i2",
        "summary": "Late",
        "severity": "high",
        "commitment": "c1",
        "partner_card": True,
    },
    {"type": "issue_resolved", "partnership": "acme", "issue": "i1", "resolution": "Done"},
    {"type": "revenue_recorded", "partnership": "gone", "period": "2025-05", "amount": 12.5},
    {"type": "partnership_ended", "partnership": "acme", "reason": "Over"},
]

FIELDS = sorted(
    {key for line in GOOD_LINES for key in line}
    | {"occurred_on", "id", "actor", "note", "recorded_at", "owner", "review_every_days"}
)


KEYS: st.SearchStrategy[str] = st.one_of(st.sampled_from(FIELDS), NASTY_TEXT)
ACTIONS = st.sampled_from(["drop", "value", "date", "number", "text", "scores"])
SCORE_MAPS: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    st.one_of(st.sampled_from(DIMENSIONS), NASTY_TEXT),
    st.one_of(st.integers(-2, 8), JSON_VALUES),
    max_size=9,
)
CHANGES = {
    "value": JSON_VALUES,
    "date": DATES,
    "number": JSON_NUMBERS,
    "text": NASTY_TEXT,
    "scores": SCORE_MAPS,
}


@st.composite
def bent_lines(draw: st.DrawFn) -> dict[str, Any]:
    """A good line with a few of its fields dropped, changed or added."""
    line = dict(draw(st.sampled_from(GOOD_LINES)))
    line.setdefault("occurred_on", BASE_DAY)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        own = draw(st.booleans())
        key = draw(st.sampled_from(sorted(line))) if own and line else draw(KEYS)
        action = draw(ACTIONS)
        if action == "drop":
            line.pop(key, None)
        else:
            line[key] = draw(CHANGES[action])
    return line


CUT = st.integers(min_value=0, max_value=10_000)
DEPTHS = st.integers(min_value=1, max_value=5_000)
ANY_TEXT = st.text(max_size=200)
RAW_KINDS = st.integers(min_value=0, max_value=9)


@st.composite
def _raw_lines(draw: st.DrawFn) -> str:
    kind = draw(RAW_KINDS)
    if kind <= 5:
        text = json.dumps(draw(BENT_LINES), ensure_ascii=draw(st.booleans()))
        if kind == 5:  # cut short somewhere
            text = text[: draw(CUT) % (len(text) + 1)]
        return text
    if kind == 6:
        return json.dumps(draw(JSON_VALUES))
    if kind == 7:
        depth = draw(DEPTHS)
        return "[" * depth + "]" * (draw(CUT) % (depth + 1))
    if kind == 8:
        return draw(st.sampled_from(NASTY))
    return draw(ANY_TEXT)


BENT_LINES: st.SearchStrategy[dict[str, Any]] = bent_lines()
#: One input line: JSON of a bent or good line, or text that is barely JSON at all.
RAW_LINES: st.SearchStrategy[str] = _raw_lines()
#: A few lines of one input (blank lines among them).
NDJSON_INPUTS: st.SearchStrategy[list[str]] = st.lists(
    st.one_of(RAW_LINES, st.just("")), min_size=1, max_size=6
)


# -- command lines -------------------------------------------------------------------------

#: Commands the fuzzers leave out: the dashboard, and ``demo``, which opens it (each would
#: start a terminal UI and wait for keys).
INTERACTIVE = {"tui", "demo"}
#: Options whose values the fuzzers never choose: the store (the fixture's own).
FIXED_OPTIONS = {"--store"}


def leaf_commands(group: click.Group) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every runnable command under ``group``, with its path (``("audit", "log")``)."""
    ctx = click.Context(group)
    found: list[tuple[tuple[str, ...], click.Command]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and name not in INTERACTIVE:
                    walk(sub, (*path, name))
        else:
            found.append((path, command))

    walk(group, ())
    return found


@functools.cache
def value_for(param: click.Parameter) -> st.SearchStrategy[str]:
    """What to type for ``param``: mostly plausible for its kind, often not."""
    names = " ".join(param.opts).lower()
    plausible: st.SearchStrategy[str]
    if isinstance(param.type, click.Choice):
        plausible = st.sampled_from([str(c) for c in param.type.choices])
    elif any(word in names for word in ("as-of", "known-at", "since", "occurred", "due")):
        plausible = DATES
    elif "score" in names:
        plausible = st.builds(
            lambda d, n: f"{d}={n}",
            st.one_of(st.sampled_from(DIMENSIONS), NASTY_TEXT),
            st.one_of(st.integers(-1, 7).map(str), NASTY_TEXT),
        )
    elif isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)) or any(
        word in names for word in ("amount", "weight", "days", "timeout")
    ):
        plausible = NUMBERS.map(str)
    elif "period" in names:
        plausible = st.sampled_from(["2025-05", "2025-13", "0000-01", "9999-12", "2025-5"])
    elif "config" in names:
        plausible = st.just("config.toml")
    elif names.strip() == "--to":
        plausible = st.sampled_from(
            ["copy.sqlite", "sqlite://copy.sqlite", "postgresql://", "ftp://x", "ledger.sqlite"]
        )
    elif isinstance(param, click.Argument) and "file" in names:
        plausible = st.sampled_from(["-", "lines.ndjson", "missing.ndjson", "."])
    else:
        plausible = st.sampled_from(["acme", "gone", "c1", "i1", "newco", "x"])
    return st.one_of(plausible, plausible, NASTY_TEXT)


PERCENT = st.integers(0, 99)
ONE_OR_TWO = st.integers(1, 2)


@st.composite
def command_lines(
    draw: st.DrawFn, commands: Sequence[tuple[tuple[str, ...], click.Command]]
) -> list[str]:
    """An argv for one of ``commands``: some of its options, its arguments, and at times
    something it does not take."""
    path, command = draw(st.sampled_from(list(commands)))
    argv = list(path)
    for param in command.params:
        if isinstance(param, click.Option) and param.opts[0] in FIXED_OPTIONS:
            continue
        if draw(PERCENT) >= (90 if param.required else 40):
            continue
        if isinstance(param, click.Argument):
            times = draw(ONE_OR_TWO) if param.nargs == -1 else 1
            argv += [draw(value_for(param)) for _ in range(times)]
        elif getattr(param, "is_flag", False):
            argv.append(param.opts[0])
        else:
            times = draw(ONE_OR_TWO) if param.multiple else 1
            for _ in range(times):
                argv += [param.opts[0], draw(value_for(param))]
    if draw(st.integers(0, 9)) == 0:
        argv.insert(
            draw(st.integers(0, len(argv))), draw(st.sampled_from(["--nope", "-x", "extra"]))
        )
    return argv


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return '""'
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value) if not isinstance(value, (list, dict)) else json.dumps(str(value))


#: The text of a model configuration file: a [model] table with keys good and bad.
CONFIG_FILES: st.SearchStrategy[str] = st.one_of(
    st.dictionaries(st.sampled_from([*sorted(SETTINGS), "nope"]), JSON_VALUES, max_size=3).map(
        lambda t: "[model]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in t.items())
    ),
    st.text(max_size=60),
    st.just("model = 3\n"),
    st.just(""),
)
