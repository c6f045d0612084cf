"""The one-event commands, ``--store`` handling, ``schema``, ``history`` and ``--help``.

Most runs are in-process (CliRunner) for speed; the ones about the process itself (exit
codes of bad options, the environment, ``--help``) also run the installed script.
Everything that touches a store runs on SQLite and on a real PostgreSQL server
(``store_url``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from tests.cli_helpers import (
    assert_no_traceback,
    export_events,
    export_text,
    invoke,
    ndjson,
    run_cli,
)
from tests.pg_server import PgServer
from tests.samples import sample_dicts
from tests.store_backends import (
    BACKENDS,
    POSTGRES,
    SharedPgStore,
    backend_of,
    is_postgres,
    store_exists,
)

EVENT_TYPES = {
    "partnership_registered",
    "commitment_made",
    "commitment_renegotiated",
    "commitment_kept",
    "commitment_missed",
    "review_held",
    "issue_raised",
    "issue_resolved",
    "revenue_recorded",
    "partnership_ended",
}

# (command line, the event it must record: every field given, checked against the export)
LIFECYCLE: list[tuple[list[str], dict[str, Any]]] = [
    (
        [
            "partner",
            "add",
            "acme",
            "--name",
            "Acme Corp",
            "--kind",
            "alliance",
            "--owner",
            "dana",
            "--review-every-days",
            "30",
            "--occurred-on",
            "2025-01-01",
            "--id",
            "a-1",
            "--actor",
            "tester",
            "--note",
            "hello",
        ],
        {
            "type": "partnership_registered",
            "partnership": "acme",
            "name": "Acme Corp",
            "kind": "alliance",
            "owner": "dana",
            "review_every_days": 30,
            "occurred_on": "2025-01-01",
            "id": "a-1",
            "actor": "tester",
            "note": "hello",
        },
    ),
    (
        [
            "commit",
            "acme",
            "c1",
            "--by",
            "us",
            "--summary",
            "Ship it",
            "--due",
            "2025-03-01",
            "--weight",
            "3",
            "--occurred-on",
            "2025-01-10",
        ],
        {
            "type": "commitment_made",
            "commitment": "c1",
            "by": "us",
            "summary": "Ship it",
            "due": "2025-03-01",
            "weight": 3,
            "occurred_on": "2025-01-10",
        },
    ),
    (
        [
            "commit",
            "acme",
            "c2",
            "--by",
            "partner",
            "--summary",
            "Pay",
            "--due",
            "2025-02-01",
            "--occurred-on",
            "2025-01-10",
        ],
        {"type": "commitment_made", "commitment": "c2", "by": "partner", "weight": 1},
    ),
    (
        [
            "renegotiate",
            "acme",
            "c1",
            "--due",
            "2025-04-01",
            "--reason",
            "scope grew",
            "--occurred-on",
            "2025-02-20",
        ],
        {
            "type": "commitment_renegotiated",
            "commitment": "c1",
            "due": "2025-04-01",
            "reason": "scope grew",
        },
    ),
    (
        ["kept", "acme", "c1", "--occurred-on", "2025-03-30"],
        {"type": "commitment_kept", "commitment": "c1", "occurred_on": "2025-03-30"},
    ),
    (
        ["missed", "acme", "c2", "--occurred-on", "2025-02-05"],
        {"type": "commitment_missed", "commitment": "c2", "occurred_on": "2025-02-05"},
    ),
    (
        [
            "review",
            "acme",
            "--score",
            "vision=4",
            "--score",
            "risk=2",
            "--partner-score",
            "vision=3",
            "--occurred-on",
            "2025-03-01",
        ],
        {
            "type": "review_held",
            "scores": {"vision": 4, "risk": 2},
            "partner_scores": {"vision": 3},
        },
    ),
    (
        [
            "issue",
            "acme",
            "i1",
            "--summary",
            "Late payment",
            "--severity",
            "high",
            "--commitment",
            "c2",
            "--partner-card",
            "--occurred-on",
            "2025-02-06",
        ],
        {
            "type": "issue_raised",
            "issue": "i1",
            "summary": "Late payment",
            "severity": "high",
            "commitment": "c2",
            "partner_card": True,
        },
    ),
    (
        ["issue", "acme", "i2", "--summary", "Minor", "--occurred-on", "2025-02-07"],
        {"type": "issue_raised", "issue": "i2", "severity": "medium", "partner_card": False},
    ),
    (
        ["resolve", "acme", "i1", "--resolution", "Credited", "--occurred-on", "2025-02-10"],
        {"type": "issue_resolved", "issue": "i1", "resolution": "Credited"},
    ),
    (
        [
            "revenue",
            "acme",
            "--period",
            "2025-02",
            "--amount",
            "1234.5",
            "--currency",
            "EUR",
            "--occurred-on",
            "2025-03-01",
        ],
        {"type": "revenue_recorded", "period": "2025-02", "amount": 1234.5, "currency": "EUR"},
    ),
    (
        ["end", "acme", "--reason", "Contract over", "--occurred-on", "2025-06-01"],
        {"type": "partnership_ended", "reason": "Contract over", "occurred_on": "2025-06-01"},
    ),
    (
        ["revenue", "acme", "--period", "2025-06", "--amount", "10", "--occurred-on", "2025-07-01"],
        {"type": "revenue_recorded", "period": "2025-06", "amount": 10.0, "currency": "USD"},
    ),
]


@pytest.fixture
def store(store_url: str) -> str:
    return store_url


def record_lifecycle_start(store: str) -> None:
    for args, _ in LIFECYCLE[:3]:
        assert invoke(store, *args).code == 0


@pytest.fixture(scope="module")
def pg_lifecycle(postgres_server: PgServer) -> Iterator[SharedPgStore]:
    shared = SharedPgStore(postgres_server, record_lifecycle_start, "lifecycle")
    yield shared
    shared.close()


@pytest.fixture(params=BACKENDS)
def lifecycle_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store with the lifecycle's first three events: SQLite, a new file; PostgreSQL, a
    database shared by the tests that must leave it unchanged (checked, else rebuilt)."""
    if request.param == POSTGRES:
        return request.getfixturevalue("pg_lifecycle").get()
    store = str(tmp_path / "life.sqlite")
    record_lifecycle_start(store)
    return store


def test_every_one_event_command_records_its_event(store: str) -> None:
    for args, _ in LIFECYCLE:
        run = invoke(store, *args)
        assert (run.code, run.out, run.err) == (0, "recorded 1, already recorded 0\n", ""), args
    events = export_events(store)
    assert len(events) == len(LIFECYCLE)
    for event, (args, expected) in zip(events, LIFECYCLE, strict=True):
        assert event["partnership"] == "acme"
        assert {k: event.get(k) for k in expected} == expected, args
        assert event["id"] and event["actor"] and event["recorded_at"]
    assert {e["type"] for e in events} == EVENT_TYPES


def test_one_event_command_through_the_real_script(store: str) -> None:
    run = run_cli(store, *LIFECYCLE[0][0])
    assert (run.code, run.out, run.err) == (0, "recorded 1, already recorded 0\n", "")
    # With an --id, running the same command again is a no-op.
    run = run_cli(store, *LIFECYCLE[0][0])
    assert (run.code, run.out, run.err) == (0, "recorded 0, already recorded 1\n", "")
    assert len(export_events(store)) == 1


# (command line after the lifecycle's first three events, option or field it must name)
BAD_OPTIONS = [
    (
        [
            "commit",
            "acme",
            "c9",
            "--by",
            "us",
            "--summary",
            "s",
            "--due",
            "2026-01-01",
            "--weight",
            "9",
        ],
        "--weight",
    ),
    (["commit", "acme", "c9", "--by", "us", "--summary", "s", "--due", "soon"], "--due"),
    (["commit", "acme", "c9", "--by", "us", "--summary", "  ", "--due", "2026-01-01"], "--summary"),
    (
        ["commit", "acme", "C 9", "--by", "us", "--summary", "s", "--due", "2026-01-01"],
        "commitment",
    ),
    (["commit", "acme", "c1", "--by", "us", "--summary", "s", "--due", "2026-01-01"], "commitment"),
    (["renegotiate", "acme", "c1", "--due", "someday"], "--due"),
    (["kept", "acme", "nope"], "commitment"),
    (["missed", "acme", "c1", "--occurred-on", "2024-06-01"], "--occurred-on"),
    (["review", "acme", "--score", "vision=9"], "--score"),
    (["review", "acme", "--score", "vision=0"], "--score"),
    (["review", "acme", "--score", "trust=3"], "--score"),
    (["review", "acme", "--score", "vision=3", "--partner-score", "risk=6"], "--partner-score"),
    (["issue", "acme", "i9", "--summary", "s", "--commitment", "nope"], "commitment"),
    (["resolve", "acme", "nope", "--resolution", "r"], "issue"),
    (["revenue", "acme", "--period", "2025-13", "--amount", "5"], "--period"),
    (["revenue", "acme", "--period", "2025-1", "--amount", "5"], "--period"),
    (["revenue", "acme", "--period", "2025-01", "--amount", "-5"], "--amount"),
    (
        ["revenue", "acme", "--period", "2025-01", "--amount", "5", "--currency", "usd"],
        "--currency",
    ),
    (["partner", "add", "zed", "--name", "Zed", "--review-every-days", "0"], "--review-every-days"),
    (
        ["partner", "add", "zed", "--name", "Zed", "--review-every-days", "731"],
        "--review-every-days",
    ),
    (["partner", "add", "Zed!", "--name", "Zed"], "partnership"),
    (["partner", "add", "acme", "--name", "Again"], "partnership"),
    (["end", "acme", "--occurred-on", "2099-01-01"], "--occurred-on"),
    (["end", "nobody"], "partnership"),
    (["end", "acme", "--id", "a-1"], "--id"),
]


@pytest.mark.parametrize(
    ("args", "name"), BAD_OPTIONS, ids=[" ".join([*a[:1], n]) for a, n in BAD_OPTIONS]
)
def test_bad_option_value_exits_1_naming_it(
    lifecycle_store: str, args: list[str], name: str
) -> None:
    before = export_text(lifecycle_store)
    run = invoke(lifecycle_store, *args)
    assert run.code == 1, run
    assert run.out == ""
    first = run.err.splitlines()[0]
    assert f"{name}:" in first or f"{name} " in first, run.err
    assert export_text(lifecycle_store) == before


@pytest.mark.parametrize(
    ("args", "name"), [BAD_OPTIONS[0], BAD_OPTIONS[8], BAD_OPTIONS[6], BAD_OPTIONS[-3]]
)
def test_bad_option_value_real_process(lifecycle_store: str, args: list[str], name: str) -> None:
    before = export_text(lifecycle_store)
    run = run_cli(lifecycle_store, *args)
    assert run.code == 1, run
    assert_no_traceback(run)
    assert name in run.err.splitlines()[0]
    assert run == invoke(lifecycle_store, *args)
    assert export_text(lifecycle_store) == before


#: Values of event fields that the field's type refuses: a choice that is not one, a number
#: that is not one, a score that is not DIM=N. An event field's value is input.
NOT_OF_THE_FIELDS_TYPE = [
    (["commit", "acme", "c9", "--by", "them", "--summary", "s", "--due", "2026-01-01"], "--by"),
    (
        [
            "commit",
            "acme",
            "c9",
            "--by",
            "us",
            "--summary",
            "s",
            "--due",
            "2026-01-01",
            "--weight",
            "three",
        ],
        "--weight",
    ),
    (["partner", "add", "zed", "--name", "Zed", "--kind", "friend"], "--kind"),
    (["issue", "acme", "i9", "--summary", "s", "--severity", "critical"], "--severity"),
    (["revenue", "acme", "--period", "2025-01", "--amount", "lots"], "--amount"),
    (["review", "acme", "--score", "vision"], "--score"),
]


@pytest.mark.parametrize(("args", "name"), NOT_OF_THE_FIELDS_TYPE)
def test_a_value_of_the_wrong_type_is_rejected_input(
    lifecycle_store: str, args: list[str], name: str
) -> None:
    """As the same value in a ``record`` line would be: exit 1, ``option: message`` naming
    the option, nothing recorded."""
    before = export_text(lifecycle_store)
    run = run_cli(lifecycle_store, *args)
    assert run.code == 1, run
    assert_no_traceback(run)
    assert run.err.splitlines()[0].split(": ", 1)[1].startswith(f"{name}:"), run.err
    assert export_text(lifecycle_store) == before


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["commit", "acme", "c9", "--by", "us", "--due", "2026-01-01"], "--summary"),
        (["commit", "acme"], "COMMITMENT"),
        (["record", "--no-such-option"], "--no-such-option"),
        (["report", "--format", "xml"], "--format"),
    ],
)
def test_malformed_command_line_is_a_usage_error(
    lifecycle_store: str, args: list[str], name: str
) -> None:
    """A missing argument or option, an unknown option, and an option choosing what to show
    given a value it does not know are usage errors: exit 2, one line naming the option,
    nothing recorded."""
    before = export_text(lifecycle_store)
    run = run_cli(lifecycle_store, *args)
    assert run.code == 2, run
    assert_no_traceback(run)
    assert len(run.err.splitlines()) == 1 and name in run.err, run.err
    assert export_text(lifecycle_store) == before


# -- --store ----------------------------------------------------------------------------------


def test_store_before_and_after_the_command(
    store_url: str, new_store: Callable[..., str], tmp_path: Path
) -> None:
    before_cmd, after_cmd = store_url, new_store(backend_of(store_url), "after")
    args = ["partner", "add", "acme", "--name", "Acme"]
    assert run_cli(before_cmd, *args).code == 0
    assert run_cli(after_cmd, *args, store_after=True).code == 0
    assert (
        run_cli(
            after_cmd,
            "commit",
            "acme",
            "c1",
            "--by",
            "us",
            "--summary",
            "s",
            "--due",
            "2030-01-01",
            store_after=True,
        ).code
        == 0
    )
    assert [e["type"] for e in export_events(before_cmd)] == ["partnership_registered"]
    assert len(export_events(after_cmd)) == 2
    assert invoke(after_cmd, "export", store_after=True).out == export_text(after_cmd)
    assert (
        json.loads(run_cli(after_cmd, "history", "acme", "--format", "json", store_after=True).out)[
            1
        ]["commitment"]
        == "c1"
    )
    # Given both before and after the command name, the one after the name (closer) wins.
    both = run_cli(tmp_path / "ignored.sqlite", "export", "--store", before_cmd)
    assert both.code == 0 and len(both.out.splitlines()) == 1
    assert not (tmp_path / "ignored.sqlite").exists()


def test_store_option_wins_over_the_environment(
    store_url: str, new_store: Callable[..., str], tmp_path: Path
) -> None:
    chosen, from_env = store_url, new_store(backend_of(store_url), "env")
    env = {"TRUSTLEDGER_STORE": from_env}
    line = ndjson([{"type": "partnership_registered", "partnership": "acme", "name": "A"}])
    assert run_cli(chosen, "record", stdin=line, env=env).code == 0
    assert store_exists(chosen) and not store_exists(from_env)

    # Without --store the variable is used (and, for SQLite, an sqlite:/// URL too).
    run = run_cli(
        None,
        "record",
        stdin=line.replace("acme", "envco"),
        env={**env, "XDG_DATA_HOME": str(tmp_path / "xdg")},
    )
    assert run.code == 0, run
    assert [e["partnership"] for e in export_events(from_env)] == ["envco"]
    run = run_cli(
        None,
        "export",
        env={
            "TRUSTLEDGER_STORE": chosen if is_postgres(chosen) else f"sqlite:///{chosen}",
            "XDG_DATA_HOME": str(tmp_path / "xdg"),
        },
    )
    assert [json.loads(x)["partnership"] for x in run.out.splitlines()] == ["acme"]
    assert not (tmp_path / "xdg").exists()  # the default store was never touched


def test_bad_store_url_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli("ftp://example.com/ledger", "export")
    assert run.code == 2 and len(run.err.splitlines()) == 1, run
    assert_no_traceback(run)
    run = run_cli(None, "export", env={"TRUSTLEDGER_STORE": "postgresql://u:s3cret@/"})
    assert run.code == 2 and "s3cret" not in run.err, run


# -- schema -----------------------------------------------------------------------------------


def schema_variants(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schema of each event type, found through the discriminator mapping."""
    defs = schema["$defs"]
    mapping = schema["discriminator"]["mapping"]
    return {name: defs[ref.rsplit("/", 1)[1]] for name, ref in mapping.items()}


def test_schema_describes_every_event_type() -> None:
    run = run_cli(None, "schema")
    assert run.code == 0 and run.err == ""
    schema = json.loads(run.out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["discriminator"]["propertyName"] == "type"
    variants = schema_variants(schema)
    assert set(variants) == EVENT_TYPES | {"event_voided", "event_amended"}
    refs = {item["$ref"] for item in schema["oneOf"]}
    assert refs == set(schema["discriminator"]["mapping"].values())
    for name, variant in variants.items():
        assert variant["type"] == "object"
        assert variant["additionalProperties"] is False
        assert variant["properties"]["type"]["const"] == name
        assert "partnership" in variant["required"]
        assert {"occurred_on", "id", "actor", "note", "recorded_at"} <= set(variant["properties"])
    assert variants["commitment_made"]["properties"]["weight"]["maximum"] == 5
    assert variants["revenue_recorded"]["properties"]["amount"]["type"] == "number"
    assert set(variants["commitment_made"]["required"]) >= {"commitment", "by", "summary", "due"}


def test_schema_accepts_the_sample_lines() -> None:
    """Validate every sample line against the schema (with jsonschema when installed,
    else structurally: known type, required fields present, no unknown fields)."""
    schema = json.loads(invoke(None, "schema").out)
    lines = sample_dicts()
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:  # pragma: no cover - only where installed
        validator = jsonschema.Draft202012Validator(schema)
        for line in lines:
            validator.validate(line)
        return
    variants = schema_variants(schema)
    for line in lines:
        variant = variants[line["type"]]
        assert set(variant["required"]) <= set(line), line
        assert set(line) <= set(variant["properties"]), line


# -- history ----------------------------------------------------------------------------------


def test_history_json_lists_the_events_in_order(store: str) -> None:
    for args, _ in LIFECYCLE[:6]:
        assert invoke(store, *args).code == 0
    assert invoke(store, "partner", "add", "other", "--name", "Other").code == 0
    run = run_cli(store, "history", "acme", "--format", "json")
    assert run.code == 0 and run.err == ""
    rows = json.loads(run.out)
    assert [r["type"] for r in rows] == [e["type"] for _, e in LIFECYCLE[:6]]
    assert [r["version"] for r in rows] == list(range(1, 7))
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    assert rows[0]["actor"] == "tester" and all(r["actor"] for r in rows)
    assert all(r["recorded_at"] for r in rows)
    exported = export_events(store, "--partnership", "acme")
    assert [{k: v for k, v in r.items() if k not in ("version", "position")} for r in rows] == (
        exported
    )
    table = invoke(store, "history", "acme")
    assert table.code == 0 and "tester" in table.out and "committed" in table.out


def test_history_of_an_unknown_partnership(lifecycle_store: str) -> None:
    run = run_cli(lifecycle_store, "history", "nobody", "--format", "json")
    assert run.code == 1 and run.out == "" and "nobody" in run.err
    assert_no_traceback(run)


# -- help -------------------------------------------------------------------------------------


def all_command_paths() -> list[list[str]]:
    from trustledger.tui.cli.main import main

    paths: list[list[str]] = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            paths.append([*prefix, name])
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(main, [])
    return paths


def test_every_command_has_help() -> None:
    paths = all_command_paths()
    names = {" ".join(p) for p in paths}
    assert {
        "record",
        "export",
        "history",
        "schema",
        "partner add",
        "commit",
        "kept",
        "missed",
        "renegotiate",
        "review",
        "issue",
        "resolve",
        "revenue",
        "end",
    } <= names
    for path in [[], *paths]:
        run = invoke(None, *path, "--help")
        assert run.code == 0, (path, run)
        assert run.out.startswith("Usage: trustledger"), path
        assert run.err == ""


def test_help_through_the_real_script() -> None:
    for args in (["--help"], ["record", "--help"], ["partner", "add", "-h"]):
        run = run_cli(None, *args)
        assert run.code == 0 and run.out.startswith("Usage: trustledger"), run
