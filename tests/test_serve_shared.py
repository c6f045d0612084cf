"""The dashboards ``trustledger serve`` runs inside it: one shared live view, each session's
own identity, and the Textual driver over a session's channel (no SSH here: the channel is
fed directly; ``test_serve_ssh.py`` covers the same with real clients)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pyte
from trustledger.domain.errors import LedgerError
from trustledger.domain.store import StoreConfig
from trustledger.tui.dashboard.app import TrustLedgerApp
from trustledger.tui.dashboard.remote import run_on_channel
from trustledger.tui.dashboard.screens.portfolio import PortfolioTable
from trustledger.tui.dashboard.terminal import EXIT_HANGUP
from trustledger.tui.service.access import Access, NotAllowed
from trustledger.tui.service.channel import TerminalChannel
from trustledger.tui.service.config import load_model_config
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.live import LiveUpdate
from trustledger.tui.service.recording import located_lines
from trustledger.tui.service.sharedlive import SharedLive

from tests.cli_helpers import run_cli
from tests.samples import SAMPLE_EVENTS
from tests.test_tui_support import CLOCK, PATIENCE_SECONDS, events_in, pause_until

NEW_PARTNER = '{"type":"partnership_registered","partnership":"zenith","name":"Zenith Labs"}\n'


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.02)


async def settle_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        await asyncio.sleep(0.02)


def shared_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "shared-live")


def test_one_follow_loop_feeds_every_subscriber(sample_store: StoreConfig) -> None:
    live = SharedLive(LedgerService(sample_store, clock=CLOCK), load_model_config(None), linger=0)
    first: list[LiveUpdate] = []
    second: list[LiveUpdate] = []
    try:
        leave_first = live.subscribe(first.append, lambda message: None)
        leave_second = live.subscribe(second.append, lambda message: None)
        wait_until(lambda: bool(first) and bool(second), "the first picture")
        assert first[0].initial and first[0].picture.position == SAMPLE_EVENTS
        assert shared_threads() == 1  # one loop, however many subscribers

        done = run_cli(sample_store.path, "record", "-", stdin=NEW_PARTNER)
        assert done.code == 0, done.err
        for updates in (first, second):
            wait_until(lambda u=updates: u[-1].picture.position == SAMPLE_EVENTS + 1, "the update")
        assert first[-1] is second[-1]  # folded once, handed to both
        assert not first[-1].initial and "zenith" in first[-1].changed

        # A later subscriber starts from the last picture at once: it replays nothing.
        late: list[LiveUpdate] = []
        leave_late = live.subscribe(late.append, lambda message: None)
        assert len(late) == 1 and late[0].initial and not late[0].alerts
        assert late[0].picture is first[-1].picture

        leave_first()
        leave_first()  # leaving twice is leaving once
        done = run_cli(sample_store.path, "record", "-", stdin=NEW_PARTNER.replace("zenith", "z2"))
        assert done.code == 0, done.err
        wait_until(lambda: second[-1].picture.position == SAMPLE_EVENTS + 2, "the next update")
        assert first[-1].picture.position == SAMPLE_EVENTS + 1  # no longer told
        leave_second()
        leave_late()
        # The last subscriber gone (and no lingering asked for), the loop ends.
        wait_until(lambda: shared_threads() == 0, "the loop ending")
    finally:
        live.close()


async def test_sessions_in_one_process_each_record_as_their_key(
    sample_store: StoreConfig,
) -> None:
    service = LedgerService(sample_store, clock=CLOCK)
    config = load_model_config(None)
    live = SharedLive(service, config, linger=0)
    maria = TrustLedgerApp(
        service.for_access(Access("maria.lopez", "recorder")),
        config=config,
        live=live,
        watch_terminal=False,
    )
    victor = TrustLedgerApp(
        service.for_access(Access("victor", "viewer")), config=config, live=live
    )
    try:
        async with maria.run_test(size=(100, 30)) as one, victor.run_test(size=(80, 24)) as two:
            await maria.ready()
            await victor.ready()
            assert maria.check_action("record", ()) and not victor.check_action("record", ())
            line = '{"type":"partnership_registered","partnership":"zenith","name":"Z",'
            line += '"actor":"someone.else"}'
            result = await asyncio.to_thread(
                maria.service.record, located_lines("form", [line]), actor="mallory"
            )
            assert result.ok
            try:
                await asyncio.to_thread(victor.service.record, located_lines("form", [line]))
            except NotAllowed:
                pass
            else:  # pragma: no cover - the assertion below names the failure
                raise AssertionError("a viewer recorded")
            for app, pilot in ((maria, one), (victor, two)):
                table = app.screen.query_one(PortfolioTable)
                await pause_until(
                    pilot,
                    lambda t=table: "zenith" in [str(k.value) for k in t.rows],
                    "the new row in every session",
                )
        assert events_in(sample_store) == SAMPLE_EVENTS + 1
        history = service.history("zenith")
        assert [event.line.actor for event in history] == ["maria.lopez"]
    finally:
        live.close()


async def test_the_dashboard_draws_on_a_channel_and_follows_it(sample_store: StoreConfig) -> None:
    service = LedgerService(sample_store, clock=CLOCK)
    config = load_model_config(None)
    live = SharedLive(service, config, linger=0)
    screen = pyte.Screen(80, 24)
    stream = pyte.ByteStream(screen)
    channel = TerminalChannel(stream.feed, 80, 24, "xterm-256color", "truecolor")

    def shown() -> str:
        return "\n".join(screen.display)

    try:
        task = asyncio.ensure_future(
            run_on_channel(
                service.for_access(Access("victor", "viewer")), channel, config=config, live=live
            )
        )
        await settle_until(lambda: "Northwind" in shown() and "Quit" in shown(), "the portfolio")
        assert " Kind " not in screen.display[4]  # too narrow for the Kind column
        screen.resize(30, 132)
        channel.resize(132, 30)
        await settle_until(lambda: " Kind " in shown(), "the wider screen")
        channel.feed(b"?")  # typed keys go through Textual's parser: the help screen opens
        await settle_until(lambda: "keys, statuses and the model" in shown(), "the help screen")
        channel.hang_up()
        assert await asyncio.wait_for(task, PATIENCE_SECONDS) == EXIT_HANGUP
        assert live.subscribers == 0
    finally:
        live.close()


async def test_a_bad_as_of_ends_the_session_with_one_line(sample_store: StoreConfig) -> None:
    service = LedgerService(sample_store, clock=CLOCK)
    sent: list[bytes] = []
    channel = TerminalChannel(sent.append)
    live = SharedLive(service, load_model_config(None), linger=0)
    status = await run_on_channel(
        service, channel, config=load_model_config(None), live=live, as_of="2026-13-40"
    )
    assert status == 2 and b"--as-of" in b"".join(sent)
    assert not live.running  # nothing was started for it


def test_a_viewer_service_records_nothing(sample_store: StoreConfig) -> None:
    viewer = LedgerService(sample_store, clock=CLOCK).for_access(Access("victor", "viewer"))
    try:
        viewer.record(located_lines("x", [NEW_PARTNER.strip()]))
    except LedgerError as exc:
        assert "viewer" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a viewer recorded")
    assert events_in(sample_store) == SAMPLE_EVENTS


class BrokenFeed:
    """A live view that fails as a session subscribes (a fault inside one session)."""

    def subscribe(self, emit: object, failed: object) -> Callable[[], None]:
        raise RuntimeError("this session's live view broke")


async def test_one_session_failing_leaves_the_others_running(sample_store: StoreConfig) -> None:
    service = LedgerService(sample_store, clock=CLOCK)
    config = load_model_config(None)
    live = SharedLive(service, config, linger=0)
    screen = pyte.Screen(80, 24)
    stream = pyte.ByteStream(screen)
    good = TerminalChannel(stream.feed, 80, 24, "xterm-256color")
    bad = TerminalChannel(lambda data: None, 80, 24, "xterm-256color")
    try:
        running = asyncio.ensure_future(run_on_channel(service, good, config=config, live=live))
        await settle_until(lambda: "Northwind" in "\n".join(screen.display), "the portfolio")
        status = await asyncio.wait_for(
            run_on_channel(service, bad, config=config, live=BrokenFeed()), PATIENCE_SECONDS
        )
        assert status not in (0, EXIT_HANGUP)  # it failed, and said so with its status
        assert not running.done()
        good.feed(b"?")
        await settle_until(
            lambda: "keys, statuses and the model" in "\n".join(screen.display),
            "the other session answering",
        )
        good.hang_up()
        assert await asyncio.wait_for(running, PATIENCE_SECONDS) == EXIT_HANGUP
    finally:
        live.close()
