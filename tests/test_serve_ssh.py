"""``trustledger serve`` with real clients: OpenSSH's ``ssh`` and asyncssh's client.

One server (a real ``trustledger serve`` process on a copy of the sample store) serves most
tests; the tests that change its keys or fill a store start their own.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import asyncssh
import pytest

from tests.cli_helpers import run_cli
from tests.samples import SAMPLE_EVENTS, SAMPLE_PARTNERSHIPS
from tests.test_serve_support import (
    Key,
    RemoteScreen,
    Served,
    connect,
    keys_toml,
    make_key,
    openssh,
    process_gone,
    run_remote,
)


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Key]:
    directory = tmp_path_factory.mktemp("keys")
    return {name: make_key(directory, name) for name in ("maria", "victor", "ada", "stranger")}


def team(people: dict[str, Key]) -> str:
    return keys_toml(
        [
            ("maria.lopez", "recorder", [people["maria"]]),
            ("victor", "viewer", [people["victor"]]),
            ("ada", "admin", [people["ada"]]),
        ]
    )


@pytest.fixture(scope="module")
def served(
    people: dict[str, Key], sample_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("serve")
    store = directory / "ledger.sqlite"
    shutil.copy(sample_template, store)
    server = Served(directory, store, team(people))
    yield server
    assert server.stop() == 0


def full_screen(text: str) -> bool:
    """The portfolio is drawn: a row and the footer."""
    return "Northwind" in text and "Quit" in text.splitlines()[-1]


def stored(store: Path) -> list[dict]:
    """Every stored event's state, straight from the SQLite file."""
    with closing(sqlite3.connect(store)) as db:
        rows = db.execute("SELECT state FROM stored_events ORDER BY rowid").fetchall()
    return [json.loads(row[0]) for row in rows]


def count(store: Path) -> int:
    with closing(sqlite3.connect(store)) as db:
        return int(db.execute("SELECT count(*) FROM stored_events").fetchone()[0])


def server_children(served: Served) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{served.proc.pid}/task").iterdir():
        text = (task / "children").read_text()
        children.update(int(pid) for pid in text.split())
    return children


async def new_child(served: Served, before: set[int]) -> int:
    for _ in range(200):
        fresh = server_children(served) - before
        if fresh:
            return fresh.pop()
        await asyncio.sleep(0.05)
    raise AssertionError("no session process started")


async def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process_gone(pid):
            return True
        await asyncio.sleep(0.05)
    return process_gone(pid)


# -- who gets in ----------------------------------------------------------------------------


async def test_a_listed_key_gets_in_with_asyncssh(served: Served, people: dict[str, Key]) -> None:
    done = await run_remote(served, people["victor"], "report --format json")
    assert done.code == 0, done.err
    assert len(json.loads(done.out)) == SAMPLE_PARTNERSHIPS


def test_a_listed_key_gets_in_with_openssh(served: Served, people: dict[str, Key]) -> None:
    done = openssh(served, people["victor"], "trustledger", "report", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == SAMPLE_PARTNERSHIPS


async def test_an_unknown_key_is_refused(served: Served, people: dict[str, Key]) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await run_remote(served, people["stranger"], "report")
    done = openssh(served, people["stranger"], "report")
    assert done.returncode == 255
    assert "Permission denied" in done.stderr
    refused = [e for e in served.log() if e["event"] == "refused"]
    assert refused and refused[-1]["reason"] == "no listed key"


async def test_a_password_is_refused(served: Served) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(
            served, None, password="hunter2", preferred_auth="password,keyboard-interactive"
        )
    done = openssh(
        served,
        None,
        "report",
        options=["-o", "PreferredAuthentications=password,keyboard-interactive"],
    )
    assert done.returncode == 255
    assert "Permission denied" in done.stderr


async def test_a_key_removed_from_the_file_is_refused_without_a_restart(
    people: dict[str, Key], sample_template: Path, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.sqlite"
    shutil.copy(sample_template, store)
    server = Served(tmp_path, store, team(people))
    try:
        assert (await run_remote(server, people["maria"], "schema")).code == 0
        server.write_keys(
            keys_toml([("victor", "viewer", [people["victor"]])])  # maria's key is gone
        )
        with pytest.raises(asyncssh.PermissionDenied):
            await run_remote(server, people["maria"], "schema")
        assert openssh(server, people["maria"], "schema").returncode == 255
        assert (await run_remote(server, people["victor"], "schema")).code == 0
        # A malformed edit keeps the last good keys (and the log says why).
        server.write_keys("[[user]]\nname = 'x'\n")
        assert (await run_remote(server, people["victor"], "schema")).code == 0
        assert any(e["event"] == "keys" and "keys.toml:1" in e["reason"] for e in server.log()), (
            server.log()
        )
    finally:
        assert server.stop() == 0


# -- roles ----------------------------------------------------------------------------------


async def test_a_viewer_cannot_record_over_exec(served: Served, people: dict[str, Key]) -> None:
    before = count(served.store)
    done = await run_remote(served, people["victor"], "record")
    assert done.code == 2
    assert done.err == "trustledger: record: a viewer may not run it (it needs recorder)\n"
    done = await run_remote(served, people["victor"], "partner add sneaky --name S")
    assert done.code == 2 and len(done.err.splitlines()) == 1
    line = '{"type":"partnership_registered","partnership":"sneaky","name":"S"}\n'
    ssh = openssh(served, people["victor"], "record", stdin=line)
    assert ssh.returncode == 2 and "viewer" in ssh.stderr
    assert count(served.store) == before


async def test_a_viewer_has_no_recording_in_the_dashboard(
    served: Served, people: dict[str, Key]
) -> None:
    async def after_r(key: Key) -> tuple[str, str]:
        screen = await RemoteScreen(100, 30).open(served, key)
        try:
            first = await screen.wait_for(full_screen)
            await screen.type("r")
            await asyncio.sleep(1.0)
            return first, screen.text()
        finally:
            await screen.close()

    first, later = await after_r(people["maria"])
    assert "Record" in first.splitlines()[-1]  # the footer offers it
    assert "Record an event" in later
    before = count(served.store)
    first, later = await after_r(people["victor"])
    assert "Record" not in first.splitlines()[-1]
    assert "Record an event" not in later
    assert count(served.store) == before


# -- the actor ------------------------------------------------------------------------------


async def test_the_actor_is_the_keys_name_whatever_the_input_says(
    served: Served, people: dict[str, Key]
) -> None:
    maria = people["maria"]
    done = await run_remote(served, maria, "partner add forged-opt --name 'Forged' --actor mallory")
    assert done.code == 0, done.err
    line = {
        "type": "partnership_registered",
        "partnership": "forged-line",
        "name": "Forged too",
        "actor": "mallory",
    }
    done = await run_remote(served, maria, "record -", json.dumps(line) + "\n")
    assert done.code == 0, done.err
    assert done.out == "recorded 1, already recorded 0\n"
    mine = [
        e for e in stored(served.store) if e.get("partnership") in ("forged-opt", "forged-line")
    ]
    assert len(mine) == 2
    log = await run_remote(served, maria, "audit log --actor mallory --format json")
    assert json.loads(log.out) == []
    log = await run_remote(served, maria, "audit log --actor maria.lopez --format json")
    assert {e["partnership"] for e in json.loads(log.out)} >= {"forged-opt", "forged-line"}


# -- exit statuses and streams --------------------------------------------------------------


async def test_exit_statuses_and_stderr_come_through(
    served: Served, people: dict[str, Key]
) -> None:
    victor, maria = people["victor"], people["maria"]
    done = await run_remote(served, victor, "check")
    local = run_cli(served.store, "check")
    assert done.code == local.code == 1  # the samples have alerts
    assert (done.out, done.err) == (local.out, local.err)
    assert done.out and done.err == "trustledger: 13 alert(s) as of 2026-11-20\n"
    done = await run_remote(served, maria, "record", '{"type":"nonsense"}\n')
    assert done.code == 1
    assert done.err.startswith("stdin:1: ") and not done.out
    done = await run_remote(served, victor, "report --as-of 2026-02-30")
    assert done.code == 2 and done.err.count("\n") == 1
    done = await run_remote(served, victor, "migrate --to /tmp/elsewhere.sqlite")
    assert done.code == 2 and "local only" in done.err
    done = await run_remote(served, victor, "report --store /tmp/other.sqlite")
    assert done.code == 2 and "--store" in done.err
    done = await run_remote(served, maria, "record /etc/hostname")
    assert done.code == 2 and "stdin only" in done.err


def test_exit_statuses_and_stderr_through_openssh(served: Served, people: dict[str, Key]) -> None:
    done = openssh(served, people["victor"], "check")
    local = run_cli(served.store, "check")
    assert done.returncode == 1
    assert (done.stdout, done.stderr) == (local.out, local.err)
    done = openssh(served, people["maria"], "record", stdin='{"type":"nonsense"}\n')
    assert done.returncode == 1 and done.stderr.startswith("stdin:1: ")


async def test_no_terminal_and_no_command_exits_2_asking_for_t(
    served: Served, people: dict[str, Key]
) -> None:
    done = await run_remote(served, people["victor"], None)
    assert done.code == 2
    assert len(done.err.splitlines()) == 1 and "add -t" in done.err
    ssh = openssh(served, people["victor"], options=["-T"])
    assert ssh.returncode == 2 and "add -t" in ssh.stderr


def test_the_local_dashboard_without_a_terminal_exits_2(served: Served) -> None:
    done = run_cli(served.store, "tui")
    assert done.code == 2
    assert done.err.count("\n") == 1 and "needs a terminal" in done.err


# -- the dashboard on a PTY -----------------------------------------------------------------


async def test_a_pty_resize_reaches_the_dashboard(served: Served, people: dict[str, Key]) -> None:
    screen = await RemoteScreen(80, 24).open(served, people["victor"])
    try:
        first = await screen.wait_for(full_screen)
        assert " Kind " not in first.splitlines()[4]  # too narrow for the Kind column
        screen.resize(132, 30)
        wider = await screen.wait_for(
            lambda text: " Kind " in text and "Quit" in text.splitlines()[29]
        )
        assert "Northwind Distribution" in wider
    finally:
        await screen.close()


def peer_of(screen: RemoteScreen) -> str:
    """The client's end of the connection, as the connection log names it."""
    assert screen.conn is not None
    host, port = screen.conn.get_extra_info("sockname")[:2]
    return f"{host}:{port}"


async def ended_within(served: Served, peer: str, seconds: float) -> dict | None:
    """The connection log's entry for the end of ``peer``'s session, once written."""
    deadline = time.monotonic() + seconds
    while True:
        for entry in served.log():
            if entry["event"] == "command" and entry.get("peer") == peer:
                return entry
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.05)


async def test_closing_the_client_ends_the_dashboard_session(
    served: Served, people: dict[str, Key]
) -> None:
    before = server_children(served)
    screen = await RemoteScreen(80, 24).open(served, people["victor"])
    await screen.wait_for(full_screen)
    # The dashboard runs inside the server: no process of its own to outlive the session.
    assert server_children(served) == before
    peer = peer_of(screen)
    assert await ended_within(served, peer, 0) is None
    await screen.close()
    ended = await ended_within(served, peer, 2.0)
    assert ended is not None and ended["reason"] == "the client went away"
    assert "pid" not in ended
    # The server goes on serving: another session gets the full screen.
    again = await RemoteScreen(80, 24).open(served, people["victor"])
    try:
        await again.wait_for(full_screen)
    finally:
        await again.close()


async def test_closing_the_client_ends_a_waiting_command(
    served: Served, people: dict[str, Key]
) -> None:
    before = server_children(served)
    conn = await connect(served, people["maria"])
    process = await conn.create_process("record", encoding="utf-8")  # reads stdin, which never ends
    pid = await new_child(served, before)
    process.stdin.write('{"type":"partnership_registered","partnership":"half","name":"H"}\n')
    await asyncio.sleep(0.5)
    conn.close()
    await conn.wait_closed()
    assert await gone_within(pid, 2.0)
    assert not any(e.get("partnership") == "half" for e in stored(served.store))


# -- the connection log ---------------------------------------------------------------------


async def test_the_connection_log_has_logins_commands_and_logouts(
    served: Served, people: dict[str, Key]
) -> None:
    done = await run_remote(served, people["victor"], "history acme --format json")
    entries = served.log()
    command = [e for e in entries if e["event"] == "command" and e["command"].startswith("history")]
    assert command, entries
    last = command[-1]
    assert last["user"] == "victor" and last["role"] == "viewer"
    assert last["fingerprint"].startswith("SHA256:")
    assert last["exit"] == done.code and last["duration"] >= 0
    assert last["peer"].startswith("127.0.0.1:")
    # The server writes the logout when it sees the connection close, which may be just
    # after the client has its exit status: wait for it (bounded), then check the order.
    for _ in range(200):
        same = [e for e in served.log() if e.get("session") == last["session"]]
        if any(e["event"] == "logout" for e in same):
            break
        await asyncio.sleep(0.05)
    assert [e["event"] for e in same] == ["login", "command", "logout"]


async def test_an_admin_reads_the_connection_log_and_others_cannot(
    served: Served, people: dict[str, Key]
) -> None:
    done = await run_remote(served, people["ada"], "log 5")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert 1 <= len(lines) <= 5 and all(json.loads(line)["event"] for line in lines)
    done = await run_remote(served, people["maria"], "log")
    assert done.code == 2 and "admin" in done.err


# -- big input ------------------------------------------------------------------------------


async def test_a_100000_line_record_over_stdin_lands_all_or_nothing(
    people: dict[str, Key], tmp_path: Path
) -> None:
    store = tmp_path / "big.sqlite"
    server = Served(tmp_path, store, team(people))
    try:
        lines = ['{"type":"partnership_registered","partnership":"bulk","name":"Bulk"}']
        lines += [
            json.dumps(
                {
                    "type": "revenue_recorded",
                    "partnership": "bulk",
                    "period": f"{2000 + n // 12 % 26}-{n % 12 + 1:02d}",
                    "amount": n,
                }
            )
            for n in range(99_999)
        ]
        bad = [*lines[:-1], '{"type":"revenue_recorded","partnership":"bulk","amount":-1}']
        done = await run_remote(server, people["maria"], "record", "\n".join(bad) + "\n")
        assert done.code == 1
        assert done.err.startswith("stdin:100000: ")
        assert not store.exists() or count(store) == 0
        done = await run_remote(server, people["maria"], "record", "\n".join(lines) + "\n")
        assert done.code == 0, done.err
        assert done.out == "recorded 100000, already recorded 0\n"
        assert count(store) == 100_000
        actors = {e.get("actor") for e in stored(store)}
        assert actors == {"maria.lopez"}, actors
    finally:
        assert server.stop() == 0


def test_sample_store_is_untouched_by_refusals(served: Served) -> None:
    """The shared server's store still holds the samples (plus what the tests recorded)."""
    assert count(served.store) >= SAMPLE_EVENTS


async def test_sigterm_ends_the_server_and_its_sessions(
    people: dict[str, Key], sample_template: Path, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.sqlite"
    shutil.copy(sample_template, store)
    server = Served(tmp_path, store, team(people))
    screen = await RemoteScreen(80, 24).open(server, people["victor"])
    conn = await connect(server, people["maria"])
    waiting = await conn.create_process("record", encoding="utf-8")  # stdin stays open
    try:
        await screen.wait_for(full_screen)
        pid = await new_child(server, set())
        assert server.stop() == 0
        assert await gone_within(pid, 2.0)
        await asyncio.wait_for(screen.closed.wait(), 2.0)
        await asyncio.wait_for(waiting.wait_closed(), 2.0)
    finally:
        await screen.close()
        conn.close()
        server.stop()  # a failed assertion above must not leave the server running
    assert count(store) == SAMPLE_EVENTS


async def test_session_limits_and_the_idle_timeout(
    people: dict[str, Key], sample_template: Path, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.sqlite"
    shutil.copy(sample_template, store)
    server = Served(
        tmp_path,
        store,
        team(people),
        extra_args=["--max-sessions-per-key", "1", "--idle-timeout", "4"],
    )
    try:
        conn = await connect(server, people["maria"])
        waiting = await conn.create_process("record", encoding="utf-8")  # stdin stays open
        await asyncio.sleep(0.5)
        done = await run_remote(server, people["maria"], "schema")
        assert done.code == 2 and "1 session(s) open already" in done.err
        assert (await run_remote(server, people["victor"], "schema")).code == 0
        # Nothing sent, nothing received: the idle timeout closes the waiting session.
        await asyncio.wait_for(waiting.wait_closed(), 60)
        conn.close()
        await conn.wait_closed()
        # The slot is free once the timed-out command has ended: soon, not at once (on a
        # busy machine the command's process takes a moment to go).
        again = await run_remote(server, people["maria"], "schema")
        deadline = asyncio.get_running_loop().time() + 15
        while "open already" in again.err and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
            again = await run_remote(server, people["maria"], "schema")
        assert again.code == 0, again.err
        assert any(e["event"] == "idle" and e["user"] == "maria.lopez" for e in server.log())
        assert count(store) == SAMPLE_EVENTS
    finally:
        assert server.stop() == 0
