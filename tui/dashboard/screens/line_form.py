"""What the dashboard's forms that record a line share: saving it off the UI thread.

:class:`LineFormScreen` is the base of the record form (``record.py``) and the correction
form (``correct.py``). Once a form has a checked line, :meth:`LineFormScreen.start_saving`
disables its save button, says ``saving…`` and records the line in a thread worker through
the application service, all or nothing; :meth:`LineFormScreen.recorded` gets the verdict
on the UI thread. Save and Cancel buttons and Enter in a field do what ``ctrl+s`` and
``escape`` do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on, work
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from trustledger.domain.events import EventLine
from trustledger.tui.service.recording import LineError, RecordResult

if TYPE_CHECKING:
    from trustledger.tui.dashboard.app import TrustLedgerApp

ResultT = TypeVar("ResultT")


class LineFormScreen(ModalScreen[ResultT]):
    """A modal form whose save records one line (see the module docstring)."""

    #: Where the form's line says it came from, in the ledger's errors.
    SOURCE: ClassVar[str] = "form"
    #: The widget that says ``saving…`` (and shows errors that belong to no field).
    STATUS: ClassVar[str] = "#error"

    saving = False

    @property
    def tl_app(self) -> TrustLedgerApp:
        return self.app  # type: ignore[return-value]

    def start_saving(self, line: EventLine) -> None:
        self.saving = True
        self.query_one("#save", Button).disabled = True
        self.query_one(self.STATUS, Static).update("saving…")
        self._record(line)

    @work(thread=True, exclusive=True, exit_on_error=False, group="record")
    def _record(self, line: EventLine) -> None:
        try:
            result = self.tl_app.recorder.record(line, self.SOURCE)
        except Exception as exc:  # the store failed in a way the ledger did not name
            message = f"{type(exc).__name__}: {exc}"
            result = RecordResult(errors=[LineError(self.SOURCE, 0, None, message)])
        self.app.call_from_thread(self._saved, line, result)

    def _saved(self, line: EventLine, result: RecordResult) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        self.recorded(line, result)

    def recorded(self, line: EventLine, result: RecordResult) -> None:
        """The ledger's verdict on ``line`` (on the UI thread)."""
        raise NotImplementedError

    def action_save(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        raise NotImplementedError

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()
