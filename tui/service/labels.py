"""The words every front end uses: one table of them, so the dashboard, the command line's
tables, the report JSON and the README say the same thing.

- :data:`STATUS_WORDS` / :data:`STATUS_SYMBOLS` / :data:`STATUS_MEANINGS`: each status as
  shown (the JSON's value with ``_`` read as a space), its symbol, and what it means.
- :data:`FIGURES`: each figure of a partnership, by the report JSON key it stands for, with the
  word column headers use (and the shorter word narrow layouts may use).
- :data:`ALERT_WORDS`: each kind of alert in a few words.
- :data:`EVENT_LABELS` / :data:`EVENT_TITLES`: each event type in one word (tables) and in a
  few (forms, confirmations).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from trustledger.domain.events import EventLine

COMMON_FIELDS = {"type", "partnership", "occurred_on", "id", "actor", "note", "recorded_at"}

EVENT_LABELS = {
    "partnership_registered": "registered",
    "commitment_made": "committed",
    "commitment_renegotiated": "renegotiated",
    "commitment_kept": "kept",
    "commitment_missed": "missed",
    "review_held": "review",
    "issue_raised": "issue",
    "issue_resolved": "resolved",
    "revenue_recorded": "revenue",
    "partnership_ended": "ended",
    "event_voided": "voided",
    "event_amended": "amended",
}

#: Each event type in a few words: the forms' titles and what a confirmation says.
EVENT_TITLES = {
    "partnership_registered": "partnership registered",
    "commitment_made": "commitment made",
    "commitment_renegotiated": "commitment renegotiated",
    "commitment_kept": "commitment kept",
    "commitment_missed": "commitment missed",
    "review_held": "review held",
    "issue_raised": "issue raised",
    "issue_resolved": "issue resolved",
    "revenue_recorded": "revenue recorded",
    "partnership_ended": "partnership ended",
    "event_voided": "event voided",
    "event_amended": "event amended",
}


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type, event_type)


def event_title(event_type: str) -> str:
    return EVENT_TITLES.get(event_type, event_type)


# A symbol per status, so the status reads without colour (16-colour terminals, the
# colour-blind, copy-paste into a ticket).
STATUS_SYMBOLS = {
    "trusted": "✔",
    "emerging": "↗",
    "regular": "●",
    "at_risk": "▲",
    "unproven": "?",
    "ended": "✖",
}

#: The status as every front end shows it: the report JSON's value, ``_`` read as a space.
STATUS_WORDS = {
    "trusted": "trusted",
    "emerging": "emerging",
    "regular": "regular",
    "at_risk": "at risk",
    "unproven": "unproven",
    "ended": "ended",
}

#: The statuses from the healthiest to the end (how tables sort them, how help lists them).
STATUSES_IN_ORDER = ("trusted", "emerging", "regular", "at_risk", "unproven", "ended")

#: What each status means, in one sentence (the help screen and the README).
STATUS_MEANINGS = {
    "trusted": "high trust with little uncertainty, good alignment and no open high issue",
    "emerging": "could become trusted: trust and alignment are high enough, not yet both",
    "regular": "a working relationship, neither at risk nor close to trusted",
    "at_risk": "low trust or alignment, a partner card played, or commitments overdue",
    "unproven": "insufficient evidence: too few outcomes and no review yet — never a false green",
    "ended": "the partnership was ended; it raises no alerts",
}


def status_label(status: str) -> str:
    """``✔ trusted``, ``▲ at risk`` …"""
    return f"{STATUS_SYMBOLS.get(status, ' ')} {STATUS_WORDS.get(status, status)}"


class Figure(NamedTuple):
    """A figure of a partnership: the report JSON key it stands for, the word headers show,
    and the shorter word a narrow layout may show instead."""

    key: str
    word: str
    short: str


#: Every figure a table shows, by the report JSON key (``commitments.overdue``: a count
#: inside ``commitments``).
FIGURES: dict[str, Figure] = {
    figure.key: figure
    for figure in (
        Figure("partnership", "partnership", "partnership"),
        Figure("name", "name", "name"),
        Figure("kind", "kind", "kind"),
        Figure("status", "status", "status"),
        Figure("trust", "trust", "trust"),
        Figure("trust_uncertainty", "±", "±"),
        Figure("alignment", "alignment", "align"),
        Figure("perception_gap", "perception gap", "gap"),
        Figure("commitments.open", "open", "open"),
        Figure("commitments.overdue", "overdue", "overdue"),
        Figure("open_issues", "issues", "issues"),
        Figure("next_review_due", "next review", "review"),
        Figure("revenue_share", "revenue share", "revenue"),
        Figure("alerts", "alerts", "alerts"),
    )
}


def figure_word(key: str, *, short: bool = False) -> str:
    figure = FIGURES[key]
    return figure.short if short else figure.word


#: Each kind of alert in a few words (the alerts view, the help screen).
ALERT_WORDS = {
    "overdue_commitment": "overdue commitment",
    "review_overdue": "review overdue",
    "issue_open_too_long": "issue open too long",
    "partner_card": "partner card",
    "trust_drop": "trust drop",
    "concentration": "revenue concentration",
}


def alert_word(kind: str) -> str:
    return ALERT_WORDS.get(kind, kind.replace("_", " "))


def trusted_share_text(trusted: int, active: int, target: float) -> str:
    """``1 of 9 active trusted (11%); rule of thumb 1 in 5 (20%)``: the share is of the
    partnerships not ended, and says so."""
    if not active:
        return "no active partnerships"
    rule = f"1 in {round(1 / target)}" if target else "none"
    return (
        f"{trusted} of {active} active trusted ({trusted / active:.0%}); "
        f"rule of thumb {rule} ({target:.0%})"
    )


def describe(line: EventLine) -> str:
    """An event's own fields in a few words, for tables and the timeline."""
    data = line.model_dump(mode="json", exclude_none=True, exclude=COMMON_FIELDS)
    parts = []
    for key, value in data.items():
        if isinstance(value, dict):
            value = " ".join(f"{k}={v}" for k, v in value.items())
        parts.append(f"{key}={value}")
    if line.note:
        parts.append(f"note={line.note}")
    return ", ".join(parts)


#: The model in one paragraph (the help screen; the README says the same).
MODEL_PARAGRAPH = (
    "Trust is a Beta reputation over commitment outcomes: each kept commitment adds evidence "
    "for, each missed one against, weighted by the commitment's weight and decayed with a "
    "half-life (180 days by default); its uncertainty shrinks as evidence grows. Alignment is "
    "the recency-weighted mean of review scores, discounted by the perception gap between the "
    "two sides' scores. The status is the first rule that applies (ended, unproven, at risk, "
    "trusted, emerging, regular) and its reason is always shown. Every parameter can be set in "
    "the [model] table of config.toml in the user config directory."
)
