"""The live dashboard: the Textual app that ties the screens to the store.

State lives here: the live :class:`Picture` (kept current by the follow worker),
the audit picture and its as-of date / known-at time when in audit mode, and which of the two
the screens show (:attr:`TrustLedgerApp.picture`). Every blocking call (reading, following,
replaying, recording) runs in a thread worker; results come back as messages or through
``call_from_thread``, and the screens redraw in place.

Everything below the UI goes through the application service it is given
(:class:`~trustledger.tui.service.ledger_service.LedgerService`: the store and the clock,
whose ``today()`` is the live as-of date); tests give it a fixed clock and a model config.
``ready()`` / ``detail_ready()`` wait until data is shown.

The home screen is pushed with the first picture (:meth:`TrustLedgerApp.show_portfolio`), so
it is laid out and drawn once; the other screens are loaded when first opened. Typed input is
handled one key at a time (:class:`~.keys.OrderedKeys`), so a burst of keys means what the
same keys typed slowly mean, and keys typed before the home screen wait for it. Theme and
sort are remembered between runs (:class:`~.prefs.Prefs`); a terminal that goes away ends the
app (:mod:`.terminal`).
"""

from __future__ import annotations

import asyncio
import calendar
import gc
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker
from trustledger.domain.errors import LedgerError
from trustledger.domain.text import terminal_safe
from trustledger.projections import ModelConfig
from trustledger.projections.views import Alert
from trustledger.tui.dashboard.keys import OrderedKeys
from trustledger.tui.dashboard.prefs import Prefs
from trustledger.tui.dashboard.screens.portfolio import PortfolioScreen
from trustledger.tui.dashboard.terminal import EXIT_HANGUP, TerminalWatch
from trustledger.tui.service.config import load_model_config
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.live import LiveUpdate, Picture

if TYPE_CHECKING:
    from textual.command import Provider
    from trustledger.tui.dashboard.screens.audit import AuditChoice
    from trustledger.tui.dashboard.screens.export import ExportChoice
    from trustledger.tui.dashboard.screens.record import FormChoices, RecordScreen
    from trustledger.tui.service.recording import Recorder
    from trustledger.tui.service.sharedlive import LiveFeed

#: Actions that do not apply while a modal (a form, the date picker, help) is open.
MODELESS = {
    "quit",
    "record",
    "audit",
    "live",
    "step",
    "step_month",
    "toggle_theme",
    "help",
    "alerts",
    "export",
}
THEMES = ("textual-dark", "textual-light", "nord", "gruvbox", "textual-ansi")
#: How long a start waits for the store's first picture before it shows the home screen
#: loading (seconds).
FIRST_PICTURE_WAIT = 0.5
#: At most this many seconds with the collector paused at a start (a store slow to answer).
COLLECTOR_WAIT = 3.0


def ledger_commands() -> type[Provider]:
    """The command palette's ledger commands, loaded when the palette first opens."""
    from trustledger.tui.dashboard.screens.commands import LedgerCommands

    return LedgerCommands


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


class LiveChanged(Message):
    """The follow worker has a new live picture."""

    def __init__(self, update: LiveUpdate) -> None:
        super().__init__()
        self.update = update


class StoreFailed(Message):
    """A worker could not read the store; ``following``: the follow worker, which
    reconnects (the live view is stale until it is back)."""

    def __init__(self, message: str, *, following: bool = False) -> None:
        super().__init__()
        self.message = message
        self.following = following


class AuditReady(Message):
    """An audit replay finished."""

    def __init__(self, picture: Picture, generation: int) -> None:
        super().__init__()
        self.picture = picture
        self.generation = generation


class TrustLedgerApp(OrderedKeys):
    """trustledger's dashboard."""

    TITLE = "trustledger"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ledger_commands}
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("exclamation_mark", "alerts", "Alerts"),
        Binding("r", "record", "Record"),
        Binding("x", "export", "Export", show=False),
        Binding("a", "audit", "Audit"),
        Binding("l", "live", "Live"),
        Binding("q", "quit", "Quit"),
        Binding("left_square_bracket", "step(-7)", "-week", show=False),
        Binding("right_square_bracket", "step(7)", "+week", show=False),
        Binding("left_curly_bracket", "step_month(-1)", "-month", show=False),
        Binding("right_curly_bracket", "step_month(1)", "+month", show=False),
        Binding("T", "toggle_theme", "Theme", show=False),
    ]

    def __init__(
        self,
        service: LedgerService,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        config: ModelConfig | None = None,
        warm_start: bool = False,
        prefs: Prefs | None = None,
        live: LiveFeed | None = None,
        watch_terminal: bool = True,
        resume_collector: bool = False,
    ) -> None:
        """``config`` defaults to the user's configuration file (an error when it cannot be
        used); ``warm_start`` starts the live view from the store's shared read model
        (:mod:`..service.readmodel`) and keeps it current, so a big store is not replayed
        at every start; ``prefs`` are the remembered theme and sort (default: for this run
        only). ``live``: a live view shared with other dashboards (:mod:`..service.sharedlive`)
        instead of one followed by this app; ``watch_terminal``: end the app when this
        process's terminal goes away (not for a dashboard drawn on another channel);
        ``resume_collector``: the cyclic garbage collector is paused (by the launch) and the
        app resumes it once its first picture is drawn (or after
        :data:`COLLECTOR_WAIT` seconds), with everything made so far frozen out of its walks:
        the collections a start would make walk what it just loaded, to free nothing."""
        super().__init__()
        self.live = live
        self._unsubscribe: Callable[[], None] | None = None
        self.watch_terminal = watch_terminal
        self.prefs = prefs or Prefs()
        self.export_directory = Path.cwd()
        self._terminal_watch: TerminalWatch | None = None
        self.warm_start = warm_start
        self.service = service
        self.store = service.store
        self.config = config or load_model_config()
        self._recorder: Recorder | None = None
        self.auditor = service.audit_reader(self.config)
        self.live_picture: Picture | None = None
        self.audit_picture: Picture | None = None
        self.audit = as_of is not None or known_at is not None
        self.audit_as_of: date = as_of or self.today()
        self.audit_known_at: datetime | None = known_at
        self.replaying = False
        # The follow worker lost the store and is reconnecting: the live picture is stale.
        self.reconnecting = False
        self._generation = 0
        self._picture_shown = asyncio.Event()
        # Set once the first picture is drawn: the follow worker loads the ledger then.
        self._first_drawn = threading.Event()
        self._resume_collector = resume_collector
        self._portfolio_shown = False
        self._detail_shown = asyncio.Event()

    # -- what is shown --------------------------------------------------------------------

    @property
    def recorder(self) -> Recorder:
        """The connection a form's saves record through, opened on the first save (the
        recording code and the line models are loaded then, not before the first frame)."""
        if self._recorder is None:
            self._recorder = self.service.recorder()
        return self._recorder

    @property
    def picture(self) -> Picture | None:
        return self.audit_picture if self.audit else self.live_picture

    def today(self) -> date:
        """The live as-of date: today by the service's clock."""
        return self.service.clock.today()

    @property
    def as_of(self) -> date:
        return self.audit_as_of if self.audit else self.today()

    @property
    def store_label(self) -> str:
        """The store as the mode bar names it: the file name, or the server and database."""
        return self.service.label

    @property
    def known_at(self) -> datetime | None:
        return self.audit_known_at if self.audit else None

    def on_mount(self) -> None:
        if self._resume_collector:
            self.set_timer(COLLECTOR_WAIT, self._collector_on)
        if self.prefs.theme in self.available_themes:
            self.theme = self.prefs.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self.audit or self.live_picture is not None:
            self.call_later(self.show_portfolio)
        else:
            # Shown with the first picture, drawn once with its rows, rather than drawn empty
            # and again; or, if the store is slow to answer, shown loading after a while.
            self.set_timer(FIRST_PICTURE_WAIT, self.show_portfolio)
        if self.live is not None:
            self._unsubscribe = self.live.subscribe(self._shared_update, self._shared_failure)
        else:
            self.follow()
        if self.audit:
            self.replay()
        if self.watch_terminal and not self.is_headless:
            self._terminal_watch = TerminalWatch(
                lambda: self.exit(return_code=EXIT_HANGUP), asyncio.get_running_loop()
            )
            self._terminal_watch.start()

    @property
    def starting(self) -> bool:
        """Is the first screen still to be shown (keys typed meanwhile wait for it)?"""
        return not self._portfolio_shown

    async def show_portfolio(self) -> None:
        """Show the home screen, once (and wait until it is mounted): with the first
        picture, or loading when the store is slow to give one."""
        if self._portfolio_shown:
            return
        self._portfolio_shown = True
        await self.push_screen(PortfolioScreen())

    def picture_drawn(self) -> None:
        """The home screen drew the rows of its first picture (the frame is out)."""
        self._first_shown()

    def _first_shown(self) -> None:
        """The first picture is on screen: the follow worker goes on, and so does the
        collector."""
        self._collector_on()
        self._first_drawn.set()

    def _collector_on(self) -> None:
        if self._resume_collector:
            self._resume_collector = False
            gc.freeze()
            gc.enable()

    def _portfolio_drawn(self) -> bool:
        """Whether the home screen will say when its rows are drawn (:meth:`picture_drawn`):
        it shows a picture's rows in its table."""
        screen = self.screen
        return isinstance(screen, PortfolioScreen) and screen.showing_rows

    def on_unmount(self) -> None:
        self._first_shown()  # a follow worker waiting for it goes on (to its end)
        self.leave_live()
        if self._terminal_watch is not None:
            self._terminal_watch.stop()
        if self._recorder is not None:
            self._recorder.close()

    def _shared_update(self, update: LiveUpdate) -> None:
        self.post_message(LiveChanged(update))

    def _shared_failure(self, message: str) -> None:
        self.post_message(StoreFailed(message, following=True))

    def leave_live(self) -> None:
        """Take no more updates from the shared live view (if any)."""
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def redraw(self, *, bindings: bool = True, screens: bool = True) -> None:
        """Tell every screen on the stack to show the current picture (``bindings``: and
        the footer's keys, which a live update leaves as they are; not ``screens``: they
        show it already)."""
        for screen in self.screen_stack if screens else ():
            show = getattr(screen, "show_picture", None)
            if show is not None:
                show(self.picture)
        if bindings:
            self.refresh_bindings()
        if self.picture is not None and not self.replaying:
            self._picture_shown.set()

    async def ready(self, timeout: float = 10.0) -> None:
        """Wait until the current picture is on screen (for tests and scripts)."""
        await asyncio.wait_for(self._picture_shown.wait(), timeout)

    async def detail_ready(self, timeout: float = 10.0) -> None:
        """Wait until the partnership screen has shown its events."""
        await asyncio.wait_for(self._detail_shown.wait(), timeout)
        self._detail_shown.clear()

    def detail_loaded(self, screen: Screen) -> None:
        self._detail_shown.set()

    # -- live -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="follow")
    def follow(self) -> None:
        worker = get_current_worker()

        def emit(update: LiveUpdate) -> None:
            self.post_message(LiveChanged(update))

        def failed(message: str) -> None:
            self.post_message(StoreFailed(message, following=True))

        self.service.follow(
            self.config,
            worker.cancelled_event,
            emit,
            failed,
            warm_start=self.warm_start,
            warn=self.log.warning,
            shown=self._first_drawn,
        )

    @on(LiveChanged)
    async def _live_changed(self, message: LiveChanged) -> None:
        if not self.screen_stack:
            return  # the app is closing: an update the follow worker sent meanwhile
        update = message.update
        self.live_picture = update.picture
        if self.starting:
            # Mounted with this picture, the home screen shows it: nothing to draw again.
            await self.show_portfolio()
            self.redraw(screens=False)
            if not self._portfolio_drawn():
                self.call_after_refresh(self._first_shown)
            return
        if self.reconnecting:
            self.reconnecting = False
            self.notify("the store answers again: live", title="Store", timeout=3)
        if not self.audit:
            self.redraw(bindings=update.initial)
        for alert in update.alerts[:5]:
            self.notify(
                terminal_safe(alert.message),
                title=f"New alert: {terminal_safe(alert.partnership)}",
                severity="warning",
                markup=False,
            )
        if len(update.alerts) > 5:
            self.notify(f"and {len(update.alerts) - 5} more new alerts", severity="warning")
        if not self._first_drawn.is_set():
            self.call_after_refresh(self._first_shown)  # shown (or audit mode shows another)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died of an unexpected error says so (they never exit the app)."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.log.error(f"worker {event.worker.name} failed", error)
            self.notify(
                terminal_safe(f"{type(error).__name__}: {error}"),
                title=f"{event.worker.group} failed",
                severity="error",
                timeout=10,
                markup=False,
            )

    @on(StoreFailed)
    async def _store_failed(self, message: StoreFailed) -> None:
        if self.starting:
            await self.show_portfolio()  # where the mode bar says it is reconnecting
        if message.following:
            self.reconnecting = True
            if not self.audit:
                self.redraw()
        self.notify(
            terminal_safe(message.message), title="Store", severity="error", timeout=6, markup=False
        )

    # -- audit ----------------------------------------------------------------------------

    def enter_audit(self, as_of: date, known_at: datetime | None) -> None:
        self.audit = True
        self.audit_as_of = as_of
        self.audit_known_at = known_at
        self.replay()

    def replay(self) -> None:
        self._generation += 1
        self.replaying = True
        self._picture_shown.clear()
        self.redraw()
        self._replay(self.audit_as_of, self.audit_known_at, self._generation)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="audit",
        description="the audit replay",
    )
    def _replay(self, as_of: date, known_at: datetime | None, generation: int) -> None:
        try:
            picture = self.auditor.picture(as_of, known_at)
        except LedgerError as exc:
            self.post_message(StoreFailed(str(exc)))
            return
        self.post_message(AuditReady(picture, generation))

    @on(AuditReady)
    def _audit_ready(self, message: AuditReady) -> None:
        if message.generation != self._generation or not self.audit:
            return
        self.audit_picture = message.picture
        self.replaying = False
        self.redraw()

    def action_audit(self) -> None:
        def chosen(choice: AuditChoice | None) -> None:
            if choice is not None:
                self.enter_audit(*choice)

        from trustledger.tui.dashboard.screens.audit import AuditScreen

        self.push_screen(AuditScreen(self.as_of, self.known_at), chosen)

    def action_live(self) -> None:
        if not self.audit:
            return
        self.audit = False
        self.audit_picture = None
        self.replaying = False
        self._generation += 1
        self.redraw()
        self.notify("live", timeout=1.5)

    def action_step(self, days: int) -> None:
        self.step_to(lambda day: day + timedelta(days=days), forward=days > 0)

    def action_step_month(self, months: int) -> None:
        self.step_to(lambda day: add_months(day, months), forward=months > 0)

    def step_to(self, move: Callable[[date], date], *, forward: bool) -> None:
        """Audit the day ``move`` gives; past either end of the calendar, its last (or first)
        day, saying so."""
        try:
            day = move(self.as_of)
        except (OverflowError, ValueError):  # after 9999-12-31 or before 0001-01-01
            day = date.max if forward else date.min
            ends = "ends" if forward else "starts"
            self.notify(f"the calendar {ends} on {day.isoformat()}", timeout=3)
            if self.audit and day == self.as_of:
                return
        self.enter_audit(day, self.known_at)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MODELESS and isinstance(self.screen, ModalScreen):
            return False  # not while a form or the date picker is open
        if action == "live":
            return self.audit  # shown only in audit mode
        if action == "record":
            return self.service.access.may_record  # a viewer has no forms
        return True

    # -- navigation -----------------------------------------------------------------------

    def open_partnership(
        self, handle: str, *, tab: str | None = None, row: str | None = None
    ) -> None:
        """Show the partnership ``handle`` (on ``tab``, the cursor on ``row``, when given)."""
        from trustledger.tui.dashboard.screens.alerts import AlertsScreen
        from trustledger.tui.dashboard.screens.partnership import PartnershipScreen

        while isinstance(self.screen, AlertsScreen):
            self.pop_screen()
        current = self.screen
        if isinstance(current, PartnershipScreen):
            if current.handle == handle:
                if tab is not None:
                    current.land(tab, row)
                return
            self.pop_screen()
        self._detail_shown.clear()
        self.push_screen(PartnershipScreen(handle, tab=tab, row=row))

    def go_to_alert(self, alert: Alert) -> None:
        """The partnership, tab and row an alert is about."""
        from trustledger.tui.dashboard.screens.alerts import alert_target

        handle, tab, row = alert_target(alert)
        self.open_partnership(handle, tab=tab, row=row)

    def action_alerts(self) -> None:
        from trustledger.tui.dashboard.screens.alerts import AlertsScreen

        if isinstance(self.screen, AlertsScreen):
            return
        self.push_screen(AlertsScreen())

    def action_home(self) -> None:
        from trustledger.tui.dashboard.screens.alerts import AlertsScreen
        from trustledger.tui.dashboard.screens.partnership import PartnershipScreen

        while isinstance(self.screen, (PartnershipScreen, AlertsScreen)):
            self.pop_screen()

    def current_partnership(self) -> str | None:
        from trustledger.tui.dashboard.screens.partnership import PartnershipScreen

        screen = self.screen
        if isinstance(screen, PartnershipScreen):
            return screen.handle
        if isinstance(screen, PortfolioScreen):
            return screen.cursor_key()
        return None

    # -- recording ------------------------------------------------------------------------

    def action_record(self, event_type: str | None = None) -> None:
        if not self.service.access.may_record:
            return
        handle = self.current_partnership()
        if event_type is None:

            def chosen(choice: str | None) -> None:
                if choice:
                    self.open_form(choice, handle)

            from trustledger.tui.dashboard.screens.record import ChooseEventScreen

            self.push_screen(ChooseEventScreen(handle, self._name_of(handle)), chosen)
            return
        self.open_form(event_type, handle)

    def _name_of(self, handle: str | None) -> str | None:
        picture = self.live_picture
        view = picture.get(handle) if picture is not None and handle else None
        return view.name if view is not None else None

    def open_form(self, event_type: str, handle: str | None = None) -> RecordScreen:
        from trustledger.tui.dashboard.screens.record import RecordScreen

        values: dict[str, str] = {}
        if handle and event_type != "partnership_registered":
            values["partnership"] = handle
        screen = RecordScreen(event_type, values=values, choices=self.choices_for)
        self.push_screen(screen)
        return screen

    def choices_for(self, event_type: str, handle: str | None) -> FormChoices:
        """What a form offers: the partnerships, and the partnership's open commitments and
        issues (from the live state: a form records now)."""
        from trustledger.tui.dashboard.screens.record import form_choices

        picture = self.live_picture
        view = picture.get(handle) if picture is not None and handle else None
        if picture is not None and view is not None and not view.detailed:
            # A lean view holds no commitments: read them from the partnership's history.
            try:
                view = self.service.detailed(view, picture.as_of, picture.position, self.config)
            except LedgerError as exc:
                self.notify(str(exc), severity="error", markup=False)
        return form_choices(picture, event_type, handle, view)

    # -- help, export ---------------------------------------------------------------------

    def action_help(self) -> None:
        from trustledger.tui.dashboard.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        screen = self.screen
        name = getattr(screen, "export_name", None)
        if name is None:
            return
        if self.service.access.remote:  # the server's disk is not the remote user's
            self.notify(
                "Exports are written locally: 'ssh HOST export' or 'ssh HOST report --format csv'",
                timeout=4,
            )
            return
        what, stem = name()

        def chosen(choice: ExportChoice | None) -> None:
            if choice is not None:
                self.write_export(choice, screen.export_text(choice.fmt))  # type: ignore[attr-defined]

        from trustledger.tui.dashboard.screens.export import ExportScreen

        self.push_screen(ExportScreen(what, stem, self.export_directory), chosen)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="export", description="the export"
    )
    def write_export(self, choice: ExportChoice, text: str) -> None:
        from trustledger.tui.dashboard.export import write_new

        try:
            write_new(choice.path, text)
        except OSError as exc:
            message, severity = f"could not write {choice.path}: {exc.strerror or exc}", "error"
        else:
            message, severity = f"wrote {choice.path}", "information"
        self.call_from_thread(
            self.notify, terminal_safe(message), title="Export", severity=severity, markup=False
        )

    # -- looks ----------------------------------------------------------------------------

    def action_toggle_theme(self) -> None:
        names = [t for t in THEMES if t in self.available_themes]
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.prefs.update(theme=self.theme)
        self.notify(f"theme: {self.theme}", timeout=1.5)

    def _theme_changed(self, _theme: object) -> None:
        for screen in self.screen_stack:
            restyle = getattr(screen, "restyle", None)
            if restyle is not None:
                restyle()
