"""Correcting the record through the command line: ``event_voided`` and ``event_amended``
lines, ``trustledger void`` and ``amend``, on both backends.

A correction changes what is known from its recording time on: the report as of any day
shows the corrected history, exactly as if the mistake had never been recorded (or recorded
right); ``--known-at`` before the correction shows the report as it was. Every refusal is
one ``SOURCE:LINE: field: message`` line, exit 1, and records nothing; the hash chain stays
intact, and ``audit log --corrections`` lists every correction.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import export_events, export_text, invoke, ndjson, run_cli

AS_OF = "2026-11-20"
ERROR = re.compile(r"^(stdin|trustledger void|trustledger amend)(:\d+)?: [a-z_.]+: .+$")


def registered(handle: str = "acme", **extra: Any) -> dict[str, Any]:
    return {
        "type": "partnership_registered",
        "partnership": handle,
        "name": handle.title(),
        "occurred_on": "2026-01-01",
        "id": f"{handle}-reg",
        **extra,
    }


def made(commitment: str, weight: int = 2, handle: str = "acme", **extra: Any) -> dict[str, Any]:
    return {
        "type": "commitment_made",
        "partnership": handle,
        "commitment": commitment,
        "by": "partner",
        "summary": f"deliver {commitment}",
        "due": "2026-05-01",
        "weight": weight,
        "occurred_on": "2026-02-01",
        "id": f"{handle}-{commitment}-made",
        **extra,
    }


def outcome(kind: str, commitment: str, handle: str = "acme") -> dict[str, Any]:
    return {
        "type": f"commitment_{kind}",
        "partnership": handle,
        "commitment": commitment,
        "occurred_on": "2026-04-20",
        "id": f"{handle}-{commitment}-{kind}",
    }


def review(scores: dict[str, int], partner: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {
        "type": "review_held",
        "partnership": "acme",
        "scores": scores,
        "partner_scores": partner,
        "occurred_on": "2026-06-01",
        "id": "acme-review",
        **extra,
    }


def void(event: str, reason: str = "recorded by mistake", **extra: Any) -> dict[str, Any]:
    return {
        "type": "event_voided",
        "partnership": "acme",
        "event": event,
        "reason": reason,
        **extra,
    }


HISTORY = [
    registered(),
    made("c1"),
    made("c2", weight=3),
    outcome("kept", "c1"),
    outcome("missed", "c2"),
    review({"vision": 4, "values": 2}, {"vision": 4, "values": 5}),
]


def record(store: str, lines: list[dict[str, Any]]) -> str:
    run = invoke(store, "record", stdin=ndjson(lines))
    assert run.code == 0, run.err
    return run.out.strip()


def report(store: str, *args: str) -> list[dict[str, Any]]:
    run = invoke(store, "report", "--as-of", AS_OF, "--format", "json", *args)
    assert run.code == 0, run.err
    return json.loads(run.out)


def only(rows: list[dict[str, Any]], handle: str = "acme") -> dict[str, Any]:
    return next(row for row in rows if row["partnership"] == handle)


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """A report row without what names a recording position (a review alert's subject),
    which differs between two stores holding the same history at other positions."""
    details = [{k: v for k, v in a.items() if k != "subject"} for a in row.get("alert_details", [])]
    return {**row, "alert_details": details}


# -- what a correction does to the scores ---------------------------------------------------


def test_voiding_a_missed_commitment_gives_back_exactly_the_trust_without_it(
    store_url: str, new_store: Any
) -> None:
    record(store_url, HISTORY)
    before = only(report(store_url))["trust"]
    assert record(store_url, [void("acme-c2-missed", "it was kept: wrong line")]) == (
        "recorded 1, already recorded 0"
    )
    after = only(report(store_url))
    # A store where the miss was never recorded.
    clean = new_store("sqlite", "clean")
    record(clean, [line for line in HISTORY if line["id"] != "acme-c2-missed"])
    expected = only(report(clean))
    assert after["trust"] > before
    assert after["trust"] == expected["trust"]
    assert figures(after) == figures(expected)  # every figure, the commitment counts and alerts too
    assert after["commitments"] == {"open": 1, "overdue": 1, "kept": 1, "missed": 0}


def test_amending_a_review_equals_recording_the_corrected_review(
    store_url: str, new_store: Any
) -> None:
    record(store_url, HISTORY)
    wrong = only(report(store_url))
    fixed_scores = {"vision": 4, "values": 5}
    amend = {
        "type": "event_amended",
        "partnership": "acme",
        "event": "acme-review",
        "reason": "values was typed as 2, the form said 5",
        "line": review(fixed_scores, {"vision": 4, "values": 5}),
    }
    assert record(store_url, [amend]) == "recorded 1, already recorded 0"
    right = only(report(store_url))
    clean = new_store("sqlite", "clean")
    record(clean, [*HISTORY[:-1], review(fixed_scores, {"vision": 4, "values": 5})])
    expected = only(report(clean))
    assert right["alignment"] == expected["alignment"] != wrong["alignment"]
    assert right["perception_gap"] == expected["perception_gap"] == 0
    assert figures(right) == figures(expected)


def test_known_at_before_the_correction_is_the_report_before_it(store_url: str) -> None:
    record(store_url, HISTORY)
    original = report(store_url)
    last_known = export_events(store_url)[-1]["recorded_at"]
    record(store_url, [void("acme-c2-missed")])
    assert report(store_url, "--known-at", last_known) == original
    assert report(store_url) != original
    # Every figure of the past follows, as of any day: a correction is not dated.
    for day in ("2026-04-30", "2026-07-01"):
        corrected = only(report(store_url, "--as-of", day))
        assert corrected["commitments"]["missed"] == 0, day
        known_then = only(report(store_url, "--as-of", day, "--known-at", last_known))
        assert known_then["commitments"]["missed"] == 1, day


def test_a_commitment_may_be_voided_with_the_events_that_refer_to_it(
    store_url: str, new_store: Any
) -> None:
    issue = {
        "type": "issue_raised",
        "partnership": "acme",
        "issue": "late",
        "summary": "late delivery",
        "commitment": "c2",
        "occurred_on": "2026-04-25",
        "id": "acme-issue",
    }
    record(store_url, [*HISTORY, issue])
    # Voided in the same input, in any order: the later events first or after.
    lines = [void("acme-c2-made"), void("acme-issue"), void("acme-c2-missed")]
    assert record(store_url, lines) == "recorded 3, already recorded 0"
    clean = new_store("sqlite", "clean")
    record(clean, [line for line in HISTORY if "-c2-" not in line["id"]])
    assert figures(only(report(store_url))) == figures(only(report(clean)))
    # The handle is free again: a commitment c2 may be made anew.
    assert record(store_url, [made("c2", id="acme-c2-again")]) == "recorded 1, already recorded 0"


def test_a_voided_registration_frees_the_handle(store_url: str) -> None:
    record(store_url, [registered("solo")])
    record(store_url, [{**void("solo-reg"), "partnership": "solo"}])
    assert report(store_url) == []
    record(store_url, [registered("solo", id="solo-reg-2", name="Solo Again")])
    assert only(report(store_url), "solo")["name"] == "Solo Again"


# -- refusals ---------------------------------------------------------------------------------

REFUSED: list[tuple[str, list[dict[str, Any]], str, str]] = [
    ("unknown event", [void("nope")], "event", "is not an event of 'acme'"),
    (
        "another partnership's event",
        [void("beta-reg")],
        "event",
        "is an event of partnership 'beta', not 'acme'",
    ),
    (
        "the registration while others stand",
        [void("acme-reg")],
        "event",
        "cannot be voided while 4 other events stand",
    ),
    (
        "a commitment later events rely on",
        [void("acme-c2-made")],
        "event",
        "later events rely on 'acme-c2-made' (commitment_made, #3): 'acme-c2-missed'",
    ),
    ("a correction", [void("acme-fix-1")], "event", "is itself a correction"),
    ("twice", [void("acme-c1-kept")], "event", "was already voided"),
    ("without a reason", [void("acme-c2-missed", reason=" ")], "reason", "at least 1 character"),
    (
        "an amendment with a score out of range",
        [
            {
                "type": "event_amended",
                "partnership": "acme",
                "event": "acme-review",
                "reason": "r",
                "line": review({"vision": 9}, {"vision": 4}),
            }
        ],
        "line.scores.vision",
        "less than or equal to 5",
    ),
    (
        "an amendment changing the type",
        [
            {
                "type": "event_amended",
                "partnership": "acme",
                "event": "acme-c2-missed",
                "reason": "r",
                "line": outcome("kept", "c2"),
            }
        ],
        "line.type",
        "must stay commitment_missed",
    ),
    (
        "an amendment breaking a rule at its place",
        [
            {
                "type": "event_amended",
                "partnership": "acme",
                "event": "acme-c2-made",
                "reason": "r",
                "line": made("c2", due="2026-01-15"),
            }
        ],
        "line.due",
        "2026-01-15 is before the commitment was made (2026-02-01)",
    ),
    (
        "an amendment breaking a later event",
        [
            {
                "type": "event_amended",
                "partnership": "acme",
                "event": "acme-c2-made",
                "reason": "r",
                "line": made("c9", id="acme-c2-made"),
            }
        ],
        "line",
        "the corrected line breaks later event 'acme-c2-missed'",
    ),
    (
        "an amendment of a voided event",
        [
            {
                "type": "event_amended",
                "partnership": "acme",
                "event": "acme-c1-kept",
                "reason": "r",
                "line": outcome("kept", "c1"),
            }
        ],
        "event",
        "was already voided",
    ),
    (
        "a good void beside a bad line (all or nothing)",
        [void("acme-c2-missed"), void("nope")],
        "event",
        "'nope' is not an event of 'acme'",
    ),
]


@pytest.fixture
def corrected_store(tmp_path: Path) -> str:
    store = str(tmp_path / "refusals.sqlite")
    record(store, [*HISTORY, registered("beta")])
    record(store, [void("acme-c1-kept", id="acme-fix-1")])
    return store


@pytest.mark.parametrize(
    ("case", "lines", "field", "message"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_each_refusal_is_one_line_exit_1_and_records_nothing(
    corrected_store: str, case: str, lines: list[dict[str, Any]], field: str, message: str
) -> None:
    before = export_text(corrected_store)
    run = invoke(corrected_store, "record", stdin=ndjson(lines))
    assert run.code == 1, (case, run)
    bad = [line for line in run.err.splitlines() if line.startswith("stdin:")]
    assert len(bad) == 1, run.err
    assert ERROR.match(bad[0]), bad[0]
    assert bad[0].startswith(f"stdin:{len(lines)}: {field}: "), bad[0]
    assert message in bad[0], bad[0]
    assert export_text(corrected_store) == before


def test_a_refusal_from_the_real_command_exits_1(corrected_store: str) -> None:
    before = export_text(corrected_store)
    run = run_cli(corrected_store, "void", "acme", "acme-c2-made", "--reason", "wrong")
    assert run.code == 1, run
    assert run.err.splitlines()[0].startswith("trustledger void: event: later events rely on")
    assert export_text(corrected_store) == before


# -- idempotency ------------------------------------------------------------------------------


def test_re_recording_a_correction_line_is_already_recorded(store_url: str) -> None:
    record(store_url, HISTORY)
    fix = void("acme-c2-missed", id="fix-miss")
    amend = {
        "type": "event_amended",
        "partnership": "acme",
        "event": "acme-review",
        "reason": "typo",
        "id": "fix-review",
        "line": review({"vision": 5}, {"vision": 4}),
    }
    assert record(store_url, [fix, amend]) == "recorded 2, already recorded 0"
    assert record(store_url, [fix, amend]) == "recorded 0, already recorded 2"
    # What export wrote (the corrected line completed by the ledger) is a retry too.
    exported = [line for line in export_events(store_url) if line["id"].startswith("fix-")]
    assert record(store_url, exported) == "recorded 0, already recorded 2"
    changed = {**amend, "line": review({"vision": 1}, {"vision": 4})}
    run = invoke(store_url, "record", stdin=ndjson([changed]))
    assert run.code == 1 and "already recorded with other content" in run.err


# -- the commands, history and audit ----------------------------------------------------------


def test_void_and_amend_commands_history_and_audit(tmp_path: Path) -> None:
    store = str(tmp_path / "commands.sqlite")
    record(store, HISTORY)
    run = invoke(
        store, "void", "acme", "acme-c2-missed", "--reason", "it was kept", "--actor", "ana"
    )
    assert (run.code, run.out.strip()) == (0, "recorded 1, already recorded 0"), run.err
    run = invoke(
        store,
        "amend",
        "acme",
        "acme-review",
        "--reason",
        "values typo",
        "--set",
        "scores.values=5",
        "--actor",
        "ben",
    )
    assert run.code == 0, run.err
    amended = export_events(store)[-1]
    assert amended["line"]["scores"] == {"vision": 4, "values": 5}
    assert amended["line"]["partner_scores"] == {"vision": 4, "values": 5}
    assert amended["line"]["occurred_on"] == "2026-06-01"  # the original's, kept

    run = invoke(store, "amend", "acme", "acme-review", "--reason", "r", "--set", "type=issue")
    assert run.code == 1 and run.err.startswith("trustledger amend: line.type: "), run.err

    history = json.loads(invoke(store, "history", "acme", "--format", "json").out)
    by_id = {row["id"]: row for row in history}
    assert by_id["acme-c2-missed"]["corrected_by"][0]["reason"] == "it was kept"
    assert by_id["acme-review"]["corrected_by"][0]["type"] == "event_amended"
    table = invoke(store, "history", "acme").out
    assert "VOID: commitment=c2" in table and "voided" in table and "by ana" in table

    verify = invoke(store, "audit", "verify")
    assert verify.code == 0 and verify.out.startswith("intact: 8 events"), verify

    log = json.loads(invoke(store, "audit", "log", "--corrections", "--format", "json").out)
    assert [(e["type"], e["event"], e["actor"], e["reason"]) for e in log] == [
        ("event_voided", "acme-c2-missed", "ana", "it was kept"),
        ("event_amended", "acme-review", "ben", "values typo"),
    ]
    assert log[0]["corrects"] == {"type": "commitment_missed", "version": 5}
    assert log[1]["was"]["scores"] == {"vision": 4, "values": 2}
    assert log[1]["now"]["scores"] == {"vision": 4, "values": 5}
    table = invoke(store, "audit", "log", "--corrections").out
    assert table.splitlines()[0].strip() == "2 corrections"
    assert "it was kept" in table and "values typo" in table

    explained = json.loads(
        invoke(store, "history", "acme", "--explain", "--as-of", AS_OF, "--format", "json").out
    )
    kinds = [row["type"] for row in explained]
    assert "event_voided" in kinds and "event_amended" in kinds
    assert any("(amended: values typo)" in row["subject"] for row in explained)

    # A second amendment starts from the first, and says it replaced the first one's line.
    run = invoke(
        store, "amend", "acme", "acme-review", "--reason", "vision too", "--set", "scores.vision=5"
    )
    assert run.code == 0, run.err
    log = json.loads(invoke(store, "audit", "log", "--corrections", "--format", "json").out)
    assert log[2]["was"]["scores"] == {"vision": 4, "values": 5}
    assert log[2]["now"]["scores"] == {"vision": 5, "values": 5}


def test_schema_describes_the_corrections() -> None:
    schema = json.loads(invoke(None, "schema").out)
    mapping = schema["discriminator"]["mapping"]
    assert {"event_voided", "event_amended"} <= set(mapping)
    amended = schema["$defs"][mapping["event_amended"].rsplit("/", 1)[1]]
    assert set(amended["required"]) >= {"partnership", "event", "reason", "line"}


def test_the_review_pack_shows_the_corrected_history_and_its_corrections(tmp_path: Path) -> None:
    store = str(tmp_path / "pack.sqlite")
    record(store, HISTORY)
    record(store, [void("acme-c2-missed", "it was kept: wrong line", id="fix-miss")])
    out = tmp_path / "acme.html"
    run = invoke(store, "pack", "acme", "--as-of", AS_OF, "-o", str(out))
    assert run.code == 0, run.err
    html = out.read_text(encoding="utf-8")
    assert 'id="corrections"' in html
    assert "voided acme-c2-missed" in html and "it was kept: wrong line" in html
    # The footer names the newest event the pack rests on: the correction.
    newest = export_events(store)[-1]
    assert newest["id"] == "fix-miss"
    verify = invoke(store, "audit", "verify", "--position", "7")
    assert verify.out.splitlines()[-1] in html
