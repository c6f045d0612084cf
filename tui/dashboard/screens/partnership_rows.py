"""The rows of a partnership's tables, and the full text of each row, built from its view
and its events (no widgets: :mod:`.partnership` shows them).

Each builder returns ``(rows, texts)``: the rows as ``(key, cells)`` for
:func:`~..widgets.tables.sync_rows`, and each row's full text by key, shown under the table
and on Enter. Keys: a commitment's or issue's handle, a review's, an event's or an
explanation row's recording position (as text) — what an alert's ``subject`` names.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from trustledger.domain.events import CORRECTION_TYPES, DIMENSIONS
from trustledger.projections.views import CommitmentView, IssueView, PartnershipView, ReviewView
from trustledger.tui.dashboard.widgets.cells import Palette, plain
from trustledger.tui.dashboard.widgets.tables import Cell
from trustledger.tui.service.corrections import (
    correction_details,
    correction_note,
    corrections_of,
    is_voided,
    standing_line,
)
from trustledger.tui.service.labels import describe, event_label, event_title
from trustledger.tui.service.live import Detail

Rows = list[tuple[str, Sequence[Cell]]]


def num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def signed(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) < 0.005:
        return "·"
    return f"{value:+.2f}"


# -- commitments -------------------------------------------------------------------------


def commitment_rows(view: PartnershipView | None, palette: Palette) -> tuple[Rows, dict[str, str]]:
    """Overdue first, then open (soonest due first), then closed (latest first)."""
    items = list(view.commitments) if view else []
    rank = {"overdue": 0, "open": 1, "missed": 2, "kept": 3}
    items.sort(
        key=lambda c: (
            rank[c.stage],
            c.due.toordinal() if c.is_open else -(c.closed_on or c.due).toordinal(),
            c.handle,
        )
    )
    texts = {
        c.handle: f"{c.handle} (by {c.by}, weight {c.weight}, made {c.made_on}, due {c.due}"
        + (f", renegotiated {c.renegotiations}x" if c.renegotiations else "")
        + ("; a resolved issue took back part of the miss" if c.recovered else "")
        + f"): {c.summary}"
        for c in items
    }
    return [(c.handle, _commitment_cells(c, palette)) for c in items], texts


def _commitment_cells(c: CommitmentView, palette: Palette) -> list[Cell]:
    if c.stage == "overdue":
        stage = Text(f"⚠ overdue {c.days_overdue}d", style=f"bold {palette('text-error')}")
    elif c.stage == "open":
        stage = Text("○ open")
    elif c.stage == "kept":
        stage = Text(f"✔ kept {c.closed_on}", style=palette("text-success"))
    else:
        mark = " ↺" if c.recovered else ""
        stage = Text(f"✖ missed {c.closed_on}{mark}", style=palette("text-error"))
    return [c.handle, c.by, c.due.isoformat(), stage, str(c.weight), c.summary]


# -- reviews -----------------------------------------------------------------------------


def review_rows(view: PartnershipView | None, palette: Palette) -> Rows:
    """The latest review first."""
    rows: Rows = []
    for review in reversed(view.reviews) if view else []:
        asym: Cell = (
            Text(
                "⚠ " + ", ".join(a.dimension for a in review.asymmetries),
                style=f"bold {palette('text-warning')}",
            )
            if review.asymmetries
            else "·"
        )
        rows.append(
            (
                str(review.position),
                [
                    review.occurred_on.isoformat(),
                    f"{review.level:.2f}",
                    f"{review.gap:.2f}" if review.partner_scores else "—",
                    f"{review.alignment:.2f}",
                    "both" if review.partner_scores else "ours",
                    asym,
                ],
            )
        )
    return rows


def dimension_rows(review: ReviewView | None, palette: Palette) -> Rows:
    """One review's scores by dimension, both sides, the gap, asymmetries flagged."""
    rows: Rows = []
    if review is None:
        return rows
    flagged = {a.dimension for a in review.asymmetries}
    theirs = review.partner_scores or {}
    for dim in DIMENSIONS:
        if dim not in review.scores and dim not in theirs:
            continue
        gap = review.gaps.get(dim)
        flag: Cell = (
            Text("⚠ asymmetric", style=f"bold {palette('text-warning')}") if dim in flagged else ""
        )
        rows.append(
            (
                dim,
                [
                    dim,
                    str(review.scores.get(dim, "—")),
                    str(theirs.get(dim, "—")),
                    "—" if gap is None else f"{gap:.2f}",
                    flag,
                ],
            )
        )
    return rows


# -- issues ------------------------------------------------------------------------------


def issue_rows(view: PartnershipView | None, palette: Palette) -> tuple[Rows, dict[str, str]]:
    """Open issues first, then the latest raised first."""
    items = list(view.issues) if view else []
    items.sort(key=lambda i: (not i.is_open, -i.raised_on.toordinal(), i.handle))
    texts = {}
    for i in items:
        about = f" about {i.commitment}" if i.commitment else ""
        card = " Partner card played." if i.partner_card else ""
        done = f" Resolved {i.resolved_on}: {i.resolution}" if i.resolution else ""
        texts[i.handle] = f"{i.handle} ({i.severity}{about}): {i.summary}.{card}{done}"
    return [(i.handle, _issue_cells(i, palette)) for i in items], texts


def _issue_cells(issue: IssueView, palette: Palette) -> list[Cell]:
    severity_colour = {"high": "text-error", "medium": "text-warning", "low": "foreground"}
    severity = Text(issue.severity, style=palette(severity_colour[issue.severity]))
    if issue.is_open:
        state = Text(f"● open {issue.days_open}d", style=f"bold {palette('text-warning')}")
    else:
        state = Text(f"✔ resolved {issue.resolved_on}", style=palette("text-success"))
    summary = plain(issue.summary)
    if issue.partner_card:
        summary = Text.assemble(
            Text("⚑ partner card ", style=f"bold {palette('text-error')}"), summary
        )
    return [issue.handle, severity, issue.raised_on.isoformat(), state, summary]


# -- timeline, explanation ---------------------------------------------------------------


def timeline_rows(detail: Detail) -> tuple[Rows, dict[str, str]]:
    """Every event of the partnership, the latest first; a voided one struck through and an
    amended one shown as corrected, each with who corrected it, when and why."""
    corrections = corrections_of(detail.events)
    originals = {e.line.id or "": e for e in detail.events}
    rows: Rows = []
    texts: dict[str, str] = {}
    for event in reversed(detail.events):
        made = corrections.get(event.line.id or "", [])
        voided = is_voided(made)
        standing = standing_line(detail.events, event.line.id or "") if made else event
        if event.type in CORRECTION_TYPES:
            details = correction_details(event, originals, detail.events)
        else:
            details = describe((standing or event).line)
        if made:
            details += " — " + "; ".join(correction_note(c) for c in made)
        values = [
            str(event.version),
            event.occurred_on.isoformat(),
            event_label(event.type),
            event.line.actor or "",
            event.recorded_at.strftime("%Y-%m-%d %H:%M"),
            details,
        ]
        cells: list[Cell] = (
            [plain(value, style="strike") for value in values] if voided else list(values)
        )
        rows.append((str(event.position), cells))
        texts[str(event.position)] = (
            f"{'VOID: ' if voided else ''}#{event.version} {event_title(event.type)} on "
            f"{event.occurred_on}, recorded {event.recorded_at:%Y-%m-%d %H:%M:%S} UTC by "
            f"{event.line.actor}: {details}"
        )
    return rows, texts


def explanation_rows(detail: Detail, palette: Palette) -> tuple[Rows, dict[str, str]]:
    """How each event moved trust and alignment, the latest first (the total row apart)."""
    rows: Rows = []
    for row in reversed(detail.explanation[:-1]):
        delta = row.delta_trust
        colour = (
            palette("text-success")
            if delta > 0.005
            else palette("text-error")
            if delta < -0.005
            else ""
        )
        rows.append(
            (
                str(row.position),
                [
                    row.occurred_on.isoformat() if row.occurred_on else "",
                    event_label(row.type),
                    Text(signed(delta), style=colour, justify="right"),
                    Text(signed(row.delta_alignment), justify="right"),
                    num(row.trust),
                    num(row.alignment),
                    row.subject,
                ],
            )
        )
    texts = {
        str(r.position): f"{r.subject}: "
        + (
            f"trust {signed(r.delta_trust)} → {r.trust:.2f}"
            if abs(r.delta_trust) >= 0.005
            else "trust unchanged"
        )
        + (
            f", alignment {signed(r.delta_alignment)} → {num(r.alignment)}"
            if r.delta_alignment
            else ""
        )
        + (f" (counts {r.weight:.2f} now)" if r.weight is not None else "")
        for r in detail.explanation[:-1]
    }
    return rows, texts
