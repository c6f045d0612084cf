"""``trustledger record`` against the scripting contract (docs/CONTRACT.md, "Event lines" and
"``record`` is all or nothing").

Every bad-input case runs the real console script as a subprocess: exit code 1, one
``stdin:LINE: field: ...`` error line, no traceback, and a store whose full export is
byte-for-byte what it was before (so the valid lines before the bad one were not
recorded either).

Everything that does not depend on SQLite's file runs on both backends: SQLite and a real
PostgreSQL server started by the test suite (``seeded``, ``store_url``).
"""

from __future__ import annotations

import getpass
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from trustledger.domain.ledger import new_ids

from tests.cli_helpers import (
    Run,
    assert_no_traceback,
    error_lines,
    export_events,
    export_text,
    invoke,
    ndjson,
    run_cli,
)
from tests.pg_server import PgServer
from tests.samples import TODAY
from tests.store_backends import BACKENDS, POSTGRES, SharedPgStore, pg_table_exists

TOMORROW = (TODAY + timedelta(days=1)).isoformat()
DAY_AFTER_TOMORROW = (TODAY + timedelta(days=2)).isoformat()


def ev(type_: str, partnership: str = "acme", **fields: Any) -> dict[str, Any]:
    return {"type": type_, "partnership": partnership, **fields}


def reg(handle: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", handle.title())
    fields.setdefault("occurred_on", "2025-01-01")
    return ev("partnership_registered", handle, **fields)


def made(commitment: str, partnership: str = "acme", **fields: Any) -> dict[str, Any]:
    base = {"by": "us", "summary": "Do the thing", "due": "2025-12-01", "occurred_on": "2025-02-01"}
    return ev("commitment_made", partnership, commitment=commitment, **(base | fields))


SEED = [
    reg("acme", id="seed-reg", actor="seed"),
    made("open1", id="seed-c1", due="2025-03-01", occurred_on="2025-01-10"),
    made("done1", id="seed-c2", by="partner", due="2025-02-01", occurred_on="2025-01-10"),
    ev("commitment_kept", commitment="done1", occurred_on="2025-01-30", id="seed-k"),
    ev("issue_raised", issue="iss-open", summary="Open one", occurred_on="2025-02-01"),
    ev("issue_raised", issue="iss-done", summary="Done one", occurred_on="2025-02-01"),
    ev("issue_resolved", issue="iss-done", resolution="Settled", occurred_on="2025-02-05"),
    ev("revenue_recorded", period="2025-01", amount=1000, id="seed-rev", occurred_on="2025-02-01"),
    reg("gone", id="gone-reg"),
    made("gone-c", "gone", occurred_on="2025-01-05"),
    ev("issue_raised", "gone", issue="gone-i", summary="Open", occurred_on="2025-01-06"),
    ev("partnership_ended", "gone", occurred_on="2025-06-01", reason="Over"),
]

# Valid lines put before every bad case: they must not be recorded either. The blank and
# whitespace-only lines still count for line numbers, so case line 1 is input line 5.
PREFIX = [
    reg("prefixco", id="prefix-1"),
    "",
    made("prefix-c", id="prefix-2"),
    "   ",
]
FIRST_CASE_LINE = len(PREFIX) + 1


def record_seed(store: str | Path) -> None:
    run = invoke(store, "record", stdin=ndjson(SEED))
    assert run.code == 0, run.err
    assert run.out.strip() == f"recorded {len(SEED)}, already recorded 0"


@pytest.fixture(scope="session")
def seed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seed.sqlite"
    record_seed(path)
    return path


def copy_sqlite(source: str | Path, target: str | Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


@pytest.fixture(scope="module")
def pg_seeded(postgres_server: PgServer) -> Iterator[SharedPgStore]:
    shared = SharedPgStore(postgres_server, record_seed, "seeded")
    yield shared
    shared.close()


@pytest.fixture(params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The seeded store, as recorded: SQLite, a private copy of the template file;
    PostgreSQL, a database shared by the module's tests and checked to be unchanged (else
    rebuilt) before each: creating one per test costs more than most of these tests."""
    if request.param == POSTGRES:
        return request.getfixturevalue("pg_seeded").get()
    store = str(tmp_path / "store.sqlite")
    copy_sqlite(request.getfixturevalue("seed_template"), store)
    return store


def case(
    name: str,
    lines: list[dict[str, Any] | str],
    field: str | None,
    text: str = "",
    bad_at: int | None = None,
) -> Any:
    """One bad-input case: the bad line is ``bad_at`` (1-based, default the last)."""
    return pytest.param(lines, bad_at or len(lines), field, text, id=name)


ENDED_LINES = {
    "commitment_made": made("late-c", "gone", occurred_on="2025-07-01"),
    "commitment_renegotiated": ev(
        "commitment_renegotiated",
        "gone",
        commitment="gone-c",
        due="2026-01-01",
        occurred_on="2025-07-01",
    ),
    "commitment_kept": ev("commitment_kept", "gone", commitment="gone-c", occurred_on="2025-07-01"),
    "commitment_missed": ev(
        "commitment_missed", "gone", commitment="gone-c", occurred_on="2025-07-01"
    ),
    "review_held": ev("review_held", "gone", scores={"vision": 3}, occurred_on="2025-07-01"),
    "issue_raised": ev(
        "issue_raised", "gone", issue="late-i", summary="x", occurred_on="2025-07-01"
    ),
    "issue_resolved": ev(
        "issue_resolved", "gone", issue="gone-i", resolution="x", occurred_on="2025-07-01"
    ),
    "partnership_ended": ev("partnership_ended", "gone", occurred_on="2025-07-01"),
}

KEPT = {"occurred_on": "2025-02-10"}

BAD_CASES = [
    case(
        "invalid-json",
        ['{"type": "commitment_kept", "partnership": "acme"'],
        None,
        "not valid JSON",
    ),
    case(
        "json-array", ['[{"type": "commitment_kept", "partnership": "acme"}]'], None, "JSON object"
    ),
    case("json-string", ['"commitment_kept"'], None, "JSON object"),
    case("missing-type", [{"partnership": "acme", "commitment": "open1"}], "type"),
    case(
        "unknown-type", [ev("commitment_broken", commitment="open1")], "type", "commitment_broken"
    ),
    case(
        "missing-partnership", [{"type": "commitment_kept", "commitment": "open1"}], "partnership"
    ),
    case("bad-handle", [ev("commitment_kept", "Acme Corp", commitment="open1")], "partnership"),
    case("bad-handle-leading-dash", [reg("-acme2")], "partnership"),
    case(
        "unknown-field",
        [ev("commitment_kept", commitment="open1", colour="red")],
        "colour",
        "unknown field",
    ),
    case(
        "occurred-on-not-a-date",
        [ev("commitment_kept", commitment="open1", occurred_on="last tuesday")],
        "occurred_on",
    ),
    case(
        "occurred-on-impossible-date",
        [ev("commitment_kept", commitment="open1", occurred_on="2025-02-30")],
        "occurred_on",
    ),
    case(
        "occurred-on-timestamp-without-offset",
        [ev("commitment_kept", commitment="open1", occurred_on="2025-02-10T10:00:00")],
        "occurred_on",
    ),
    case(
        "occurred-on-too-far-in-future",
        [ev("commitment_kept", commitment="open1", occurred_on=DAY_AFTER_TOMORROW)],
        "occurred_on",
        "future",
    ),
    case(
        "occurred-on-before-registration",
        [ev("commitment_kept", commitment="open1", occurred_on="2024-12-31")],
        "occurred_on",
        "registered",
    ),
    case(
        "registration-duplicate-in-store",
        [reg("acme", name="Acme again")],
        "partnership",
        "already registered",
    ),
    case(
        "registration-duplicate-in-input",
        [reg("dupe"), reg("dupe", name="Other")],
        "partnership",
        "already registered",
    ),
    case("unregistered-partnership", [made("c1", "nobody")], "partnership", "not registered"),
    case(
        "unregistered-in-input-order",
        [made("c1", "later"), reg("later")],
        "partnership",
        "not registered",
        bad_at=1,
    ),
    case(
        "registration-missing-name",
        [ev("partnership_registered", "noname", occurred_on="2025-01-01")],
        "name",
    ),
    case("registration-bad-kind", [reg("kindly", kind="friend")], "kind"),
    case("review-every-days-0", [reg("cadence", review_every_days=0)], "review_every_days"),
    case("review-every-days-731", [reg("cadence", review_every_days=731)], "review_every_days"),
    case("review-every-days-string", [reg("cadence", review_every_days="30")], "review_every_days"),
    *[
        case(
            f"commitment-missing-{missing}",
            [{k: v for k, v in made("c-new").items() if k != missing}],
            missing,
        )
        for missing in ("by", "summary", "due")
    ],
    case(
        "commitment-missing-handle",
        [{k: v for k, v in made("c-new").items() if k != "commitment"}],
        "commitment",
    ),
    case("commitment-bad-by", [made("c-new", by="them")], "by"),
    case("commitment-bad-handle", [made("New Commitment")], "commitment"),
    case("weight-0", [made("c-new", weight=0)], "weight"),
    case("weight-6", [made("c-new", weight=6)], "weight"),
    case("weight-string", [made("c-new", weight="3")], "weight"),
    case("weight-float", [made("c-new", weight=2.5)], "weight"),
    case("commitment-duplicate-in-store", [made("open1")], "commitment", "already exists"),
    case(
        "commitment-duplicate-in-input",
        [made("twin"), made("twin")],
        "commitment",
        "already exists",
    ),
    case("commitment-due-before-made", [made("c-new", due="2025-01-15")], "due"),
    *[
        case(
            f"{kind}-unknown-commitment",
            [ev(f"commitment_{kind}", commitment="nope", **KEPT, **extra)],
            "commitment",
            "not a commitment",
        )
        for kind, extra in (("renegotiated", {"due": "2025-12-01"}), ("kept", {}), ("missed", {}))
    ],
    *[
        case(
            f"{kind}-already-kept-commitment",
            [ev(f"commitment_{kind}", commitment="done1", **KEPT, **extra)],
            "commitment",
            "no longer open",
        )
        for kind, extra in (("renegotiated", {"due": "2025-12-01"}), ("kept", {}), ("missed", {}))
    ],
    case(
        "kept-twice-in-input",
        [
            ev("commitment_kept", commitment="open1", **KEPT),
            ev("commitment_missed", commitment="open1", **KEPT),
        ],
        "commitment",
        "no longer open",
    ),
    case(
        "renegotiate-missing-due",
        [ev("commitment_renegotiated", commitment="open1", **KEPT)],
        "due",
    ),
    case("review-no-scores", [ev("review_held", occurred_on="2025-03-01")], "scores"),
    case("review-empty-scores", [ev("review_held", scores={}, occurred_on="2025-03-01")], "scores"),
    case("review-score-0", [ev("review_held", scores={"vision": 0})], "scores"),
    case("review-score-6", [ev("review_held", scores={"vision": 4, "risk": 6})], "scores"),
    case("review-score-string", [ev("review_held", scores={"vision": "4"})], "scores"),
    case("review-unknown-dimension", [ev("review_held", scores={"trust": 3})], "scores"),
    case(
        "review-bad-partner-score",
        [ev("review_held", scores={"vision": 3}, partner_scores={"vision": 9})],
        "partner_scores",
    ),
    case(
        "issue-duplicate",
        [ev("issue_raised", issue="iss-open", summary="again")],
        "issue",
        "already exists",
    ),
    case("issue-missing-summary", [ev("issue_raised", issue="new-i")], "summary"),
    case(
        "issue-commitment-of-other-partnership",
        [ev("issue_raised", issue="new-i", summary="x", commitment="gone-c")],
        "commitment",
        "not a commitment",
    ),
    case(
        "issue-unknown-commitment",
        [ev("issue_raised", issue="new-i", summary="x", commitment="nope")],
        "commitment",
    ),
    case(
        "issue-bad-severity",
        [ev("issue_raised", issue="new-i", summary="x", severity="critical")],
        "severity",
    ),
    case(
        "issue-partner-card-yes",
        [ev("issue_raised", issue="new-i", summary="x", partner_card="yes")],
        "partner_card",
    ),
    case(
        "issue-partner-card-1",
        [ev("issue_raised", issue="new-i", summary="x", partner_card=1)],
        "partner_card",
    ),
    case(
        "resolve-unknown-issue",
        [ev("issue_resolved", issue="nope", resolution="x")],
        "issue",
        "not an issue",
    ),
    case(
        "resolve-already-resolved",
        [ev("issue_resolved", issue="iss-done", resolution="again")],
        "issue",
        "already resolved",
    ),
    case("resolve-missing-resolution", [ev("issue_resolved", issue="iss-open")], "resolution"),
    case("revenue-period-month-13", [ev("revenue_recorded", period="2025-13", amount=1)], "period"),
    case(
        "revenue-period-one-digit-month",
        [ev("revenue_recorded", period="2025-1", amount=1)],
        "period",
    ),
    case(
        "revenue-negative-amount",
        [ev("revenue_recorded", period="2025-02", amount=-0.01)],
        "amount",
    ),
    case(
        "revenue-amount-string", [ev("revenue_recorded", period="2025-02", amount="100")], "amount"
    ),
    case("revenue-amount-bool", [ev("revenue_recorded", period="2025-02", amount=True)], "amount"),
    case(
        "revenue-amount-nan",
        ['{"type": "revenue_recorded", "partnership": "acme", "period": "2025-02", "amount": NaN}'],
        "amount",
    ),
    case(
        "revenue-currency-lowercase",
        [ev("revenue_recorded", period="2025-02", amount=1, currency="usd")],
        "currency",
    ),
    *[case(f"after-end-{type_}", [line], "type", "ended") for type_, line in ENDED_LINES.items()],
    case(
        "id-other-content-in-store",
        [
            made(
                "open1",
                id="seed-c1",
                summary="Something else",
                due="2025-03-01",
                occurred_on="2025-01-10",
            )
        ],
        "id",
        "other content",
    ),
    case(
        "id-other-type-in-store",
        [ev("commitment_kept", commitment="open1", id="seed-rev")],
        "id",
        "other content",
    ),
    case(
        "id-other-content-in-input",
        [made("one", id="twice"), made("two", id="twice")],
        "id",
        "other content",
    ),
    case("empty-actor", [ev("commitment_kept", commitment="open1", actor="")], "actor"),
    case(
        "bad-recorded-at",
        [ev("commitment_kept", commitment="open1", recorded_at="noon")],
        "recorded_at",
    ),
]


# The cases also run through the real console script (see test_bad_input_real_process):
# one or more of every kind of check, JSON, schema, store rules, input-order rules, ids.
REAL_PROCESS_CASES = {
    "invalid-json",
    "json-array",
    "missing-type",
    "unknown-type",
    "bad-handle",
    "unknown-field",
    "occurred-on-too-far-in-future",
    "occurred-on-before-registration",
    "registration-duplicate-in-input",
    "unregistered-partnership",
    "weight-string",
    "kept-already-kept-commitment",
    "review-unknown-dimension",
    "issue-partner-card-yes",
    "revenue-period-month-13",
    "after-end-review_held",
    "id-other-content-in-store",
    "id-other-content-in-input",
}


def check_rejected(run: Run, bad_at: int, field: str | None, text: str) -> None:
    """One bad line: exit 1, one ``stdin:LINE: field: ...`` line, a summary, no traceback."""
    assert run.code == 1, run
    assert_no_traceback(run)
    assert run.out == ""
    errors = error_lines(run.err, "stdin")
    lineno = len(PREFIX) + bad_at
    assert len(errors) == 1, run.err
    assert errors[0].startswith(f"stdin:{lineno}: "), run.err
    message = errors[0][len(f"stdin:{lineno}: ") :]
    if field is not None:
        assert re.search(rf"(^|; ){re.escape(field)}[:.]", message), message
    assert text.lower() in message.lower(), message
    # The only other stderr line is the summary: one line per error, nothing else.
    assert run.err.splitlines()[1:] == ["trustledger: 1 bad line(s); nothing was recorded"]


@pytest.mark.parametrize(("lines", "bad_at", "field", "text"), BAD_CASES)
def test_bad_input_is_rejected_and_nothing_recorded(
    seeded: str, lines: list, bad_at: int, field: str | None, text: str
) -> None:
    """In-process (CliRunner) for speed; the real process is checked on a subset below."""
    before = export_text(seeded)
    run = invoke(seeded, "record", stdin=ndjson(PREFIX + lines))
    check_rejected(run, bad_at, field, text)
    assert export_text(seeded) == before
    assert "prefixco" not in before


@pytest.mark.parametrize(
    ("lines", "bad_at", "field", "text"),
    [c for c in BAD_CASES if c.id in REAL_PROCESS_CASES],
)
def test_bad_input_real_process(
    seeded: str, lines: list, bad_at: int, field: str | None, text: str
) -> None:
    """The installed script behaves exactly as the in-process runs: same code, same output."""
    before = export_text(seeded)
    run = run_cli(seeded, "record", stdin=ndjson(PREFIX + lines))
    check_rejected(run, bad_at, field, text)
    assert export_text(seeded) == before  # so the in-process run starts from the same store
    assert invoke(seeded, "record", stdin=ndjson(PREFIX + lines)) == run


def test_real_process_subset_is_complete() -> None:
    assert {c.id for c in BAD_CASES} >= REAL_PROCESS_CASES


def test_the_prefix_and_every_case_fix_is_valid(seeded: str) -> None:
    """The lines around the bad ones are good: the failures above are the bad lines' own."""
    run = invoke(seeded, "record", stdin=ndjson(PREFIX))
    assert (run.code, run.out.strip()) == (0, "recorded 2, already recorded 0"), run.err
    run = invoke(
        seeded,
        "record",
        stdin=ndjson(
            [
                ev("commitment_kept", commitment="open1", **KEPT),
                ev(
                    "review_held",
                    scores={"vision": 1, "expectations": 5},
                    partner_scores={"risk": 3},
                ),
                ev(
                    "issue_raised",
                    issue="new-i",
                    summary="x",
                    commitment="open1",
                    partner_card=True,
                ),
                ev("issue_resolved", issue="iss-open", resolution="x"),
                ev("revenue_recorded", period="2025-02", amount=0),
                reg("cadence", review_every_days=1, kind="other"),
                reg("cadence2", review_every_days=730, kind="supplier"),
                made("c-new", weight=5),
                made("c-new2", weight=1),
            ]
        ),
    )
    assert (run.code, run.out.strip()) == (0, "recorded 9, already recorded 0"), run.err


def test_several_bad_lines_give_one_error_line_each(seeded: str) -> None:
    before = export_text(seeded)
    text = ndjson(
        [
            made("ok-1", id="ok-1"),  # 1 ok
            "",  # 2 blank
            "{not json",  # 3 bad
            made("ok-2"),  # 4 ok
            made("bad", weight=9),  # 5 bad
            "",  # 6 blank
            "",  # 7 blank
            ev("commitment_kept", commitment="nope"),  # 8 bad
            ev("revenue_recorded", period="2025-02", amount=5),  # 9 ok
            reg("acme"),  # 10 bad
        ]
    )
    run = run_cli(seeded, "record", stdin=text)
    assert run.code == 1
    assert_no_traceback(run)
    errors = error_lines(run.err, "stdin")
    assert [e.split(": ", 1)[0] for e in errors] == ["stdin:3", "stdin:5", "stdin:8", "stdin:10"], (
        run.err
    )
    assert "weight" in errors[1] and "commitment" in errors[2] and "partnership" in errors[3]
    assert "4 bad line(s)" in run.err
    assert run.out == ""
    assert export_text(seeded) == before


def test_bad_input_into_a_new_store_creates_nothing(tmp_path: Path) -> None:
    store = tmp_path / "new" / "ledger.sqlite"
    run = run_cli(store, "record", stdin=ndjson([reg("fresh"), made("c", "fresh", weight=0)]))
    assert run.code == 1
    assert_no_traceback(run)
    assert error_lines(run.err, "stdin")[0].startswith("stdin:2: weight")
    assert not any(Path(f"{store}{s}").exists() for s in ("", "-wal", "-shm"))


@pytest.mark.postgres
def test_bad_input_into_an_empty_database_records_nothing(postgres_url: str) -> None:
    """The PostgreSQL counterpart of the test above. The contract lets ``record`` create the
    tables on first use, so only "nothing recorded" is asked of it."""
    run = run_cli(
        postgres_url, "record", stdin=ndjson([reg("fresh"), made("c", "fresh", weight=0)])
    )
    assert run.code == 1
    assert_no_traceback(run)
    assert error_lines(run.err, "stdin")[0].startswith("stdin:2: weight")
    if pg_table_exists(postgres_url):
        assert export_text(postgres_url) == ""


# -- accepted lines -------------------------------------------------------------------------


def test_accepted_edges(seeded: str) -> None:
    run = run_cli(
        seeded,
        "record",
        stdin=ndjson(
            [
                ev(
                    "revenue_recorded",
                    "gone",
                    period="2025-07",
                    amount=12.5,
                    id="late-rev",
                    occurred_on="2025-08-01",
                ),
                ev("commitment_kept", commitment="open1", occurred_on=TOMORROW, id="tomorrow"),
                ev(
                    "issue_resolved",
                    issue="iss-open",
                    resolution="ok",
                    id="stamp",
                    occurred_on="2025-03-01T23:30:00-05:00",
                ),
                ev(
                    "issue_raised",
                    issue="with-note",
                    summary="s",
                    id="unicode",
                    note='line\u2028separator, next\u2029line, ¿qué? 🎉 "quoted"',
                ),
            ]
        ),
    )
    assert (run.code, run.out.strip()) == (0, "recorded 4, already recorded 0"), run.err
    by_id = {e["id"]: e for e in export_events(seeded)}
    assert by_id["late-rev"]["amount"] == 12.5
    assert by_id["tomorrow"]["occurred_on"] == TOMORROW
    assert by_id["stamp"]["occurred_on"] == "2025-03-01"  # the date it is written with
    assert by_id["unicode"]["note"] == 'line\u2028separator, next\u2029line, ¿qué? 🎉 "quoted"'


def test_line_numbers_count_only_newlines(seeded: str) -> None:
    """U+2028 and U+0085 may sit unescaped in a JSON string: they do not end a line."""
    text = (
        json.dumps(ev("issue_raised", issue="ls", summary="a\u2028b\u0085c"), ensure_ascii=False)
        + "\r\n\r\n"
        + json.dumps(made("x", weight=0))
        + "\r\n"
    )
    run = run_cli(seeded, "record", stdin=text)
    assert run.code == 1
    errors = error_lines(run.err, "stdin")
    # U+0085 is a C1 control character: refused, at line 1.
    assert len(errors) == 2 and errors[1].startswith("stdin:3: weight"), run.err
    assert errors[0] == "stdin:1: summary: control character not allowed"


def test_crlf_input_is_accepted(seeded: str) -> None:
    text = ndjson([made("crlf-1"), made("crlf-2")]).replace("\n", "\r\n")
    run = run_cli(seeded, "record", stdin=text)
    assert (run.code, run.out.strip()) == (0, "recorded 2, already recorded 0"), run.err


def test_defaults_are_filled_in(seeded: str) -> None:
    run = invoke(
        seeded,
        "record",
        stdin=ndjson(
            [
                {"type": "partnership_registered", "partnership": "plain", "name": "  Plain  "},
                {
                    "type": "commitment_made",
                    "partnership": "plain",
                    "commitment": "c",
                    "by": "us",
                    "summary": "s",
                    "due": TOMORROW,
                },
                {"type": "issue_raised", "partnership": "plain", "issue": "i", "summary": "s"},
                {
                    "type": "revenue_recorded",
                    "partnership": "plain",
                    "period": "2025-02",
                    "amount": 3,
                },
            ]
        ),
    )
    assert run.code == 0, run.err
    events = export_events(seeded, "--partnership", "plain")
    assert [e["type"] for e in events] == [
        "partnership_registered",
        "commitment_made",
        "issue_raised",
        "revenue_recorded",
    ]
    for e in events:
        assert e["occurred_on"] == TODAY.isoformat()
        assert e["actor"] == getpass.getuser()
        assert e["id"] and e["recorded_at"]
    assert len({e["id"] for e in events}) == 4
    assert events[0]["name"] == "Plain"
    assert (events[0]["kind"], events[0]["review_every_days"]) == ("customer", 90)
    assert events[1]["weight"] == 1
    assert (events[2]["severity"], events[2]["partner_card"]) == ("medium", False)
    assert events[3]["currency"] == "USD"


# -- idempotency ----------------------------------------------------------------------------


def test_recorded_and_already_recorded_counts(seeded: str) -> None:
    lines = [
        made("i-1", id="idem-1", actor="ann", note="first"),
        made("i-2", id="idem-2", actor="ann"),
        ev("commitment_kept", commitment="i-1", id="idem-3", occurred_on="2025-03-01"),
    ]
    run = run_cli(seeded, "record", stdin=ndjson(lines))
    assert (run.code, run.out, run.err) == (0, "recorded 3, already recorded 0\n", "")
    after_first = export_text(seeded)

    run = run_cli(seeded, "record", stdin=ndjson(lines))
    assert (run.code, run.out, run.err) == (0, "recorded 0, already recorded 3\n", "")
    assert export_text(seeded) == after_first

    run = run_cli(seeded, "record", stdin=ndjson([*lines[:2], made("i-4", id="idem-4")]))
    assert (run.code, run.out.strip()) == (0, "recorded 1, already recorded 2")
    assert len(export_events(seeded)) == len(SEED) + 4


def test_retried_line_without_optional_fields_matches(seeded: str) -> None:
    full = made("retry", id="retry-1", actor="ann", note="n", occurred_on="2025-02-03", weight=2)
    assert invoke(seeded, "record", stdin=ndjson([full])).code == 0
    before = export_text(seeded)
    bare = {k: v for k, v in full.items() if k not in ("occurred_on", "actor", "note", "weight")}
    stamped = full | {"recorded_at": "2020-01-01T00:00:00+00:00"}
    run = run_cli(seeded, "record", stdin=ndjson([bare, stamped]))
    assert (run.code, run.out.strip()) == (0, "recorded 0, already recorded 2"), run.err
    assert export_text(seeded) == before
    # ...but a field it does give must agree.
    run = run_cli(seeded, "record", stdin=ndjson([bare | {"weight": 3}]))
    assert run.code == 1
    assert error_lines(run.err, "stdin")[0].startswith("stdin:1: id: ")


def test_same_id_twice_in_one_input(seeded: str) -> None:
    line = made("dup", id="dup-1")
    run = invoke(seeded, "record", stdin=ndjson([line, line]))
    assert (run.code, run.out.strip()) == (0, "recorded 1, already recorded 1"), run.err
    # A retry in the same input that names the defaults explicitly matches, exactly as it
    # would in a later input.
    first = made("dup2", id="dup-2", due=TOMORROW)
    del first["occurred_on"]
    retry = first | {"occurred_on": TODAY.isoformat(), "actor": getpass.getuser()}
    run = invoke(seeded, "record", stdin=ndjson([first, retry]))
    assert (run.code, run.out.strip()) == (0, "recorded 1, already recorded 1"), run.err
    assert invoke(seeded, "record", stdin=ndjson([retry])).out.strip() == (
        "recorded 0, already recorded 1"
    )


def test_lines_without_id_get_distinct_generated_ids(seeded: str) -> None:
    line = ev("review_held", scores={"vision": 4})
    for _ in range(2):
        assert invoke(seeded, "record", stdin=ndjson([line])).out.strip() == (
            "recorded 1, already recorded 0"
        )
    reviews = [e for e in export_events(seeded) if e["type"] == "review_held"]
    assert len(reviews) == 2 and reviews[0]["id"] != reviews[1]["id"]


def test_generated_ids_follow_the_recording_time_in_increasing_order() -> None:
    """Ids made for lines without one are version 7 UUIDs: the recording time's milliseconds
    first, so that one record's ids sit side by side in the store's index of ids, and in
    increasing order along the input."""
    at = datetime(2027, 3, 1, 9, 30, 15, 250_000, tzinfo=UTC)
    made_ids = new_ids(2_000, at)
    assert len(set(made_ids)) == 2_000
    assert made_ids == sorted(made_ids)
    millis = int(at.timestamp() * 1000)
    for text in made_ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert parsed.int >> 80 == millis
    later = new_ids(1, at + timedelta(milliseconds=1))
    assert later[0] > made_ids[-1]
    assert new_ids(0, at) == []


# -- inputs ---------------------------------------------------------------------------------


def test_several_files_are_one_input_in_argument_order(seeded: str, tmp_path: Path) -> None:
    first = tmp_path / "first.ndjson"
    second = tmp_path / "second.ndjson"
    first.write_text(ndjson([reg("multi"), made("m-1", "multi")]))
    second.write_text(
        ndjson([made("m-2", "multi"), ev("commitment_kept", "multi", commitment="m-1")])
    )
    before = export_text(seeded)

    # Wrong order: the second file cannot use a registration that comes after it.
    run = run_cli(seeded, "record", str(second), str(first))
    assert run.code == 1
    assert_no_traceback(run)
    errors = error_lines(run.err, str(second))
    assert [e.split(": ", 1)[0] for e in errors] == [f"{second}:1", f"{second}:2"], run.err
    assert not error_lines(run.err, str(first))
    assert export_text(seeded) == before

    run = run_cli(seeded, "record", str(first), str(second))
    assert (run.code, run.out.strip()) == (0, "recorded 4, already recorded 0"), run.err
    assert [e["type"] for e in export_events(seeded, "--partnership", "multi")] == [
        "partnership_registered",
        "commitment_made",
        "commitment_made",
        "commitment_kept",
    ]


def test_errors_name_the_right_file_and_its_own_line(seeded: str, tmp_path: Path) -> None:
    good = tmp_path / "good.ndjson"
    bad = tmp_path / "bad.ndjson"
    good.write_text(ndjson([reg("filed"), "", made("f-1", "filed")]))
    bad.write_text(ndjson(["", made("f-2", "filed", by="nobody")]))
    before = export_text(seeded)
    run = run_cli(
        seeded, "record", str(good), "-", str(bad), stdin=ndjson([made("f-3", "filed", due="soon")])
    )
    assert run.code == 1
    assert_no_traceback(run)
    assert [e.split(": ", 2)[:2] for e in run.err.splitlines()[:-1]] == [
        ["stdin:1", "due"],
        [f"{bad}:2", "by"],
    ], run.err
    assert export_text(seeded) == before


@pytest.mark.parametrize("kind", ["missing", "directory", "not-utf8"])
def test_unreadable_input_file_exits_2(seeded: str, tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good.ndjson"
    good.write_text(ndjson([made("u-1")]))
    target = tmp_path / "input.ndjson"
    if kind == "directory":
        target.mkdir()
    elif kind == "not-utf8":
        target.write_bytes(b'{"type": "commitment_kept", "note": "\xff\xfe"}\n')
    before = export_text(seeded)
    run = run_cli(seeded, "record", str(good), str(target))
    assert run.code == 2, run
    assert_no_traceback(run)
    assert str(target) in run.err
    assert len(run.err.splitlines()) == 1, run.err
    assert run.out == ""
    assert export_text(seeded) == before


@pytest.mark.parametrize(
    "args", [("export",), ("export", "--partnership", "acme"), ("history", "acme")]
)
def test_reading_a_store_that_does_not_exist_exits_2_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    store = tmp_path / "missing-dir" / "ledger.sqlite"
    run = run_cli(store, *args)
    assert run.code == 2, run
    assert_no_traceback(run)
    assert len(run.err.splitlines()) == 1 and str(store) in run.err
    assert run.out == ""
    assert not store.parent.exists()
    # A plain path in an existing directory: still nothing created.
    store = tmp_path / "ledger.sqlite"
    run = run_cli(store, *args)
    assert run.code == 2
    assert not any(Path(f"{store}{s}").exists() for s in ("", "-wal", "-shm"))


def pg_user_tables(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return {row[0] for row in rows}


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("args", "other_tables"),
    [
        (("export",), False),
        (("export", "--partnership", "acme"), False),
        (("history", "acme"), False),
        (("export",), True),
    ],
    ids=["export", "export-partnership", "history", "export-other-tables"],
)
def test_reading_a_database_without_a_ledger_exits_2_and_creates_nothing(
    postgres_url: str, args: tuple[str, ...], other_tables: bool
) -> None:
    """The PostgreSQL counterpart: a database with no ledger tables (empty, or holding
    someone else's) is a store that does not exist; reading it creates no table."""
    if other_tables:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE notes (body text)")
    before = pg_user_tables(postgres_url)
    run = run_cli(postgres_url, *args)
    assert run.code == 2, run
    assert_no_traceback(run)
    assert len(run.err.splitlines()) == 1 and postgres_url in run.err, run.err
    assert run.out == ""
    assert not pg_table_exists(postgres_url, "trustledger_events")
    assert pg_user_tables(postgres_url) == before


def test_a_file_that_is_not_a_ledger_is_a_store_error(tmp_path: Path) -> None:
    store = tmp_path / "notes.txt"
    store.write_text("hello\n")
    for args, stdin in ((("export",), ""), (("record",), ndjson([reg("x")]))):
        run = run_cli(store, *args, stdin=stdin)
        assert run.code == 2, run
        assert_no_traceback(run)
        assert len(run.err.splitlines()) == 1
    assert store.read_text() == "hello\n"


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_a_store_error(postgres_server: PgServer) -> None:
    """The PostgreSQL counterpart: the server is there, the database is not."""
    url = postgres_server.url_for("no_such_database")
    for args, stdin in ((("export",), ""), (("record",), ndjson([reg("x")]))):
        run = run_cli(url, *args, stdin=stdin)
        assert run.code == 2, run
        assert_no_traceback(run)
        assert len(run.err.splitlines()) == 1 and "no_such_database" in run.err, run.err
        assert run.out == ""
