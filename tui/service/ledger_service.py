"""``LedgerService``: what every front end asks of the ledger, for one store and one clock.

The command line makes one per command, the dashboard one per session. Every call opens the
store through :func:`~trustledger.tui.service.stores.open_ledger` (or reuses a connection the
service keeps), reads page by page through :func:`~trustledger.domain.paging.pages`, and
fails with a one-line ``LedgerError`` (``StoreError`` for the store, exit 2 on the command
line) whose message never holds a password. Projections are imported only by the calls that
need them, so a command that only records starts quickly; the event models and the event
library likewise, so that a dashboard's first frame (:meth:`LedgerService.glance`) loads
neither.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from trustledger.domain.errors import LedgerError, StoreError
from trustledger.domain.paging import items
from trustledger.domain.recorded import Recorded
from trustledger.domain.store import StoreConfig
from trustledger.tui.service.clock import SYSTEM_CLOCK, Clock
from trustledger.tui.service.stores import opened, resolve_store, scrubbed, store_label

if TYPE_CHECKING:
    from trustledger.domain.audit import Verdict
    from trustledger.domain.events import EventLine
    from trustledger.domain.glance import Glance
    from trustledger.domain.migrate import MigrateResult
    from trustledger.projections import (
        Alert,
        ExplainRow,
        ModelConfig,
        PartnershipView,
        Portfolio,
    )
    from trustledger.tui.service.access import Access
    from trustledger.tui.service.live import AuditReader, Detail, LiveUpdate
    from trustledger.tui.service.recording import Located, Progress, Recorder, RecordResult

__all__ = ["LedgerService", "MigrationRefused", "SameStore"]

T = TypeVar("T")


def __getattr__(name: str) -> Any:
    # ``export_line`` is the front ends' name for the ledger's: loaded with the ledger.
    if name == "export_line":
        from trustledger.domain.ledger import export_line

        return export_line
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Rows per page for the audit walk and migration (raw rows are small and cheap to decode).
RAW_PAGE = 20000


class MigrationRefused(LedgerError):
    """The migration's target holds events that are not a prefix of the source's."""


class SameStore(LedgerError):
    """The migration's target is its source."""


class LedgerService:
    """The application service over one store (see the module docstring)."""

    #: The fewest events for which a report or check of a past day is replayed in two
    #: processes (:mod:`.split_replay`): below it, starting the second process (about half
    #: a second) would cost more than it saves.
    split_from = 200_000

    def __init__(
        self, store: StoreConfig, *, clock: Clock = SYSTEM_CLOCK, access: Access | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self._access = access

    @classmethod
    def for_url(cls, url: str | None, *, clock: Clock = SYSTEM_CLOCK) -> LedgerService:
        """The service for ``url`` (``--store``), else ``TRUSTLEDGER_STORE``, else the default
        store; ``StoreError`` when the URL is not one."""
        return cls(resolve_store(url), clock=clock)

    @property
    def access(self) -> Access:
        """Who records through this service, and whether they may (:mod:`.access`): the
        identity it was made for (a dashboard session of ``trustledger serve``), else this
        process's."""
        from trustledger.tui.service.access import current_access

        return self._access or current_access()

    def for_access(self, access: Access) -> LedgerService:
        """The same store and clock, recording as ``access`` only."""
        return LedgerService(self.store, clock=self.clock, access=access)

    @property
    def label(self) -> str:
        """The store in a few characters (a file name, or the server and database)."""
        return store_label(self.store)

    @property
    def display(self) -> str:
        """The store as it may be shown: never with a password."""
        return self.store.display

    def check(self) -> None:
        """Raise ``StoreMissing`` / ``StoreError`` unless the store can be opened for reading
        (over a plain connection: the event library is not loaded for it)."""
        from trustledger.domain.glance import probe

        try:
            probe(self.store)
        except StoreError as exc:
            raise scrubbed(exc, self.store) from None

    def glance(self) -> Glance:
        """The store's shared read model, its view rows and the link at its position, read
        over a plain connection (:mod:`~trustledger.domain.glance`): what a dashboard's
        first frame is made of, before the ledger is opened."""
        from trustledger.domain.glance import glance

        try:
            return glance(self.store)
        except StoreError as exc:
            raise scrubbed(exc, self.store) from None

    # -- recording ----------------------------------------------------------------------

    def record(
        self,
        lines: Sequence[Located],
        *,
        actor: str | None = None,
        progress: Progress | None = None,
    ) -> RecordResult:
        """Record ``lines``, all or nothing (the store is created on the first write)."""
        from trustledger.tui.service import recording

        return recording.record(
            self.store,
            lines,
            clock=self.clock,
            actor=actor,
            progress=progress,
            access=self._access,
        )

    def check_values(self, values: dict[str, Any], source: str) -> EventLine:
        """The line that field values describe, or ``LineRejected`` naming each field."""
        from trustledger.tui.service import recording

        return recording.check_values(values, source)

    def recorder(self) -> Recorder:
        """A connection kept for recording one line at a time (a form's saves)."""
        from trustledger.tui.service.recording import Recorder

        return Recorder(self.store, self.clock, self._access)

    # -- reading ------------------------------------------------------------------------

    def events(self, *, trusted: bool = False) -> Iterator[Recorded]:
        """Every recorded event, in recording order (``trusted``: for replays; see
        ``Ledger.read``)."""
        with opened(self.store, clock=self.clock) as ledger:
            yield from items(lambda after, limit: ledger.read(after, limit, trusted=trusted))

    def history(self, handle: str) -> list[Recorded]:
        """One partnership's events, oldest first (empty when there is no such partnership)."""
        with opened(self.store, clock=self.clock) as ledger:
            return ledger.history(handle)

    def export(self, handle: str | None = None) -> Iterator[dict[str, Any]]:
        """Every event (or one partnership's) as a line ``record`` accepts again."""
        from trustledger.domain.ledger import export_line

        events = self.history(handle) if handle else self.events()
        for event in events:
            yield export_line(event)

    def report(
        self, as_of: date, known_at: datetime | None, config: ModelConfig
    ) -> list[dict[str, Any]]:
        """The contract's report rows of :meth:`portfolio`, made from :meth:`listed`: views
        still as read from view rows are reported from those rows, without making a view
        (:func:`~trustledger.projections.report_rows`)."""
        from trustledger.projections import report_rows

        return self._read_listed(as_of, known_at, config, report_rows)

    def alerts(self, as_of: date, config: ModelConfig) -> list[Alert]:
        """Every alert of :meth:`portfolio` (everything known), read as :meth:`report` reads
        its rows (:func:`~trustledger.projections.report.listed_alerts`)."""
        from trustledger.projections.report import listed_alerts

        return self._read_listed(as_of, None, config, listed_alerts)

    def _read_listed(
        self,
        as_of: date,
        known_at: datetime | None,
        config: ModelConfig,
        read: Callable[[Portfolio], T],
    ) -> T:
        """``read`` of :meth:`listed`; a view row found to have another shape on the way sends
        it through :meth:`portfolio`, which checks every row and stores sound ones again."""
        from trustledger.projections.persist import BadStateData
        from trustledger.tui.service.readmodel import gc_paused

        with gc_paused():
            try:
                return read(self.listed(as_of, known_at, config))
            except BadStateData:
                return read(self.portfolio(as_of, known_at, config))

    def listed(self, as_of: date, known_at: datetime | None, config: ModelConfig) -> Portfolio:
        """:meth:`portfolio`, with today's views perhaps still as read from view rows (their
        heads checked, the rest when first read): for listing every partnership's figures
        through :meth:`Portfolio.unshared`, which makes no view. When the rows hold every
        event recorded they are read at a glance (:meth:`glance`): the ledger is not opened."""
        if known_at is None and as_of == self.clock.today():
            found = self._glanced(as_of, config)
            if found is not None:
                return found
        return self._portfolio(as_of, known_at, config, complete=False)

    def _glanced(self, as_of: date, config: ModelConfig) -> Portfolio | None:
        """Today's portfolio from a glance at the store, when its view rows are today's and
        hold every event recorded; else None (as when the store cannot be glanced at: the
        ledger's start then answers, in its own words)."""
        from trustledger.tui.service.readmodel import gc_paused, glanced_views

        with gc_paused():
            try:
                seen = self.glance()
            except (LedgerError, OSError):
                return None
            if seen.newest is None or seen.newest != seen.position:
                return None  # no read model, or events recorded after it
            follower = glanced_views(seen, config, as_of).follower
            if follower is None or as_of < follower.state.max_day:
                return None
            portfolio = follower.view(as_of)
        gc.freeze()  # as for :meth:`portfolio`: what was read lives as long as the caller
        return portfolio

    def portfolio(self, as_of: date, known_at: datetime | None, config: ModelConfig) -> Portfolio:
        """The portfolio at the end of ``as_of`` as known at ``known_at``.

        Today's (``as_of`` today, on or after the latest day recorded, with everything
        known) comes from the store's shared read model and the events recorded since it:
        its view rows of today when it has them (only the partnerships with newer events are
        folded, onto their stored states or from their histories), else its folded states
        (rebuilt first when they cannot be used). The read model is then moved on, with
        today's view rows, when the store can be written, so that the next start today is
        lean. Any other day is a full replay of the events.
        """
        return self._portfolio(as_of, known_at, config, complete=True)

    def _portfolio(
        self, as_of: date, known_at: datetime | None, config: ModelConfig, *, complete: bool
    ) -> Portfolio:
        """:meth:`portfolio`; without ``complete``, today's views still as read from view
        rows are made when first asked for (each row's head is checked, not yet the rest)."""
        from trustledger.projections import portfolio_at
        from trustledger.tui.service.readmodel import gc_paused
        from trustledger.tui.service.split_replay import fold_part, split_portfolio

        found = None
        if known_at is None and as_of == self.clock.today():
            found = self._today(as_of, config, complete)
        if found is None:
            with opened(self.store, clock=self.clock) as ledger, gc_paused():
                # The corrections first (the stream is read once), then the events up to the
                # same position: one consistent history even while others record.
                newest = ledger.max_position()
                corrections = ledger.corrections(newest)
                if not complete:
                    # Views as listed travel as view rows: a big store is replayed in two
                    # processes (on two cores) when it has them.
                    found = split_portfolio(
                        ledger, self.store, as_of, known_at, config, newest, corrections,
                        split_from=self.split_from,
                    )  # fmt: skip
                if found is None:
                    every = (None, None)
                    state = fold_part(ledger, every, newest, as_of, known_at, config, corrections)
                    found = portfolio_at(state, as_of, known_at)
        # What was built lives until the caller is done with it: keep the cyclic garbage
        # collector from walking its hundreds of thousands of objects again and again.
        gc.freeze()
        return found

    def _today(self, as_of: date, config: ModelConfig, complete: bool) -> Portfolio | None:
        """Today's portfolio from the read model (see :meth:`_portfolio`); None when an event
        dated after today was recorded (a replay then answers)."""
        from trustledger.projections import Follower
        from trustledger.tui.service.readmodel import (
            SPARK_POINTS,
            SPARK_STEP_DAYS,
            ReadModel,
            caught_up,
            completed,
            gc_paused,
        )

        with opened(self.store, clock=self.clock) as ledger, gc_paused():
            model = ReadModel(ledger, config)
            follower = model.load_lean(as_of, complete=complete).follower
            current = False  # the stored view rows are today's, at the store's end
            if follower is not None:
                stored = follower.last_position
                current = caught_up(ledger, follower, model.stored_states).last_position == stored
                if not current and completed(follower) is not None:
                    follower = None  # views to store again, and one of them unreadable
            if follower is None:
                # The first of the day: today's views from the stored states, one at a time.
                follower = model.lean_from_states(as_of).follower
                if follower is not None:
                    caught_up(ledger, follower, model.stored_states)
            if follower is None:
                state, _ = model.start()
                follower = Follower.from_state(state)
            if as_of < follower.state.max_day:
                return None
            portfolio = follower.view(as_of)
            if not current:
                follower.sparklines(as_of, SPARK_POINTS, SPARK_STEP_DAYS)
                if not model.advance(follower, as_of):
                    model.put_views(follower, as_of)
            return portfolio

    def rebuild(
        self, config: ModelConfig, progress: Callable[[int, int], None] | None = None
    ) -> tuple[int, int]:
        """Rebuild the store's shared read model from every event, for ``config``; returns
        ``(events, partnerships)``. ``StoreError`` when it cannot be written."""
        from trustledger.tui.service.readmodel import ReadModel

        with opened(self.store, clock=self.clock) as ledger:
            model = ReadModel(ledger, config)
            state = model.rebuild(progress, self.clock.today())
            if not model.writable:
                raise StoreError(
                    f"cannot write the read model: {model.problem or 'the store is read-only'}"
                )
            return state.last_position, len(state.partnerships)

    def explanation(
        self, events: Sequence[Recorded], as_of: date, config: ModelConfig
    ) -> list[ExplainRow]:
        """Which of one partnership's ``events`` moved its scores, as of ``as_of`` (the
        corrections among them named)."""
        from trustledger.projections import explain

        return explain(events, as_of, config)

    def corrections(self, handle: str | None = None) -> list[Recorded]:
        """Every recorded correction (or one partnership's), oldest first."""
        with opened(self.store, clock=self.clock) as ledger:
            found = ledger.corrections()
        return [event for event in found if handle is None or event.partnership == handle]

    def audit_log(
        self,
        since: datetime | None = None,
        actor: str | None = None,
        handle: str | None = None,
    ) -> list[Recorded]:
        """Who recorded what and when, in recording order, filtered."""
        from trustledger.domain.audit import LogFilter
        from trustledger.domain.codec import DecodeError

        keep = LogFilter(since=since, actor=actor, partnership=handle)
        try:
            source = self.history(handle) if handle else self.events()
            return [event for event in source if keep.keeps(event)]
        except DecodeError as exc:
            raise StoreError(
                f"the stored history cannot be read: {exc} "
                "(run 'trustledger audit verify' to find where)"
            ) from None

    def verify(
        self,
        progress: Callable[[int], None] | None = None,
        positions: Collection[int] = (),
    ) -> Verdict:
        """Walk the hash chain of every stored row (after SQLite's own check of the file); the
        first break, if any, and the links of the events at ``positions``."""
        from trustledger.domain.audit import iter_rows, verify

        with opened(self.store, clock=self.clock) as ledger:
            return verify(
                iter_rows(ledger.read_raw),
                contiguous_positions=self.store.kind == "sqlite",
                progress=progress,
                positions=positions,
            )

    def migrate_to(
        self, target: StoreConfig, progress: Callable[[int], None] | None = None
    ) -> MigrateResult:
        """Copy every stored row into ``target`` (empty, or an interrupted copy to resume)."""
        from trustledger.domain.migrate import TargetNotEmpty, migrate

        with opened(self.store, clock=self.clock) as source:
            if target == self.store:
                raise SameStore("--to names the same store as the source")
            with opened(target, create=True, clock=self.clock) as into:
                try:
                    return migrate(source, into, progress)
                except TargetNotEmpty as exc:
                    raise MigrationRefused(str(exc)) from None
                except StoreError as exc:
                    raise scrubbed(exc, target) from None

    # -- the dashboard ------------------------------------------------------------------

    def follow(
        self,
        config: ModelConfig,
        stop: threading.Event,
        emit: Callable[[LiveUpdate], None],
        on_error: Callable[[str], None],
        *,
        warm_start: bool = False,
        warn: Callable[[str], None] | None = None,
        shown: threading.Event | None = None,
    ) -> None:
        """Follow the store until ``stop``: see :func:`~trustledger.tui.service.live.follow`
        (``warm_start``: from the store's shared read model, kept current; ``shown``: set
        once the first picture is on screen)."""
        from trustledger.tui.service.live import follow

        follow(self, config, stop, emit, on_error, warm_start=warm_start, warn=warn, shown=shown)

    def detailed(
        self, view: PartnershipView, as_of: date, position: int, config: ModelConfig
    ) -> PartnershipView:
        """A lean ``view`` (of a picture at ``as_of`` and ``position``) with its commitments,
        reviews and issues, read from its partnership's history."""
        from trustledger.tui.service.live import detailed

        return detailed(view, as_of, position, self.history(view.handle), config)

    def audit_reader(self, config: ModelConfig) -> AuditReader:
        """Replays of the store at chosen dates, reading only what is new each time."""
        from trustledger.tui.service.live import AuditReader

        return AuditReader(self.store, config)

    def partnership_detail(
        self,
        handle: str,
        as_of: date,
        known_at: datetime | None,
        config: ModelConfig,
        *,
        audit: bool,
    ) -> Detail:
        """One partnership's events, chart series and explanation."""
        from trustledger.tui.service.live import partnership_detail

        return partnership_detail(self.store, handle, as_of, known_at, config, audit=audit)
