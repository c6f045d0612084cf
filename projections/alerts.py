"""Alerts: the signals someone should act on, each as an :class:`Alert`.

Kinds, in the order they are listed for a partnership:

- ``overdue_commitment`` -- an open commitment whose due date is before the as-of date (due
  on the as-of date itself is not yet overdue);
- ``review_overdue`` -- the last review (or the registration) plus ``review_every_days`` is
  before the as-of date;
- ``issue_open_too_long`` -- an open issue raised more than ``issue_open_too_long_days`` ago;
- ``partner_card`` -- a partner card played within ``partner_card_window_days``;
- ``trust_drop`` -- trust fell by at least ``trust_drop`` over ``trust_drop_window_days``;
- ``concentration`` -- the partnership holds more than ``concentration_share`` of the
  portfolio's revenue in the 12 months up to the as-of month (added when the portfolio is
  assembled, since it needs every partnership's revenue).

Each alert names the item it is about (``subject_kind`` and ``subject``): the overdue
commitment, the last review, the issue (for a partner card too); a trust drop and revenue
concentration are about the partnership as a whole. Ended partnerships raise no alerts at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from trustledger.projections.config import ModelConfig
from trustledger.projections.views import Alert, CommitmentView, IssueView, ReviewView

# Float noise must not hide a drop of exactly the threshold.
_EPSILON = 1e-12


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def overdue_alerts(handle: str, commitments: Iterable[CommitmentView]) -> list[Alert]:
    """One alert per overdue commitment, the longest overdue first."""
    overdue = sorted(
        (c for c in commitments if c.stage == "overdue"), key=lambda c: (c.due, c.handle)
    )
    return [
        Alert(
            "overdue_commitment",
            handle,
            f"commitment {c.handle} by {c.by} due {c.due.isoformat()} is overdue "
            f"({_days(c.days_overdue)})",
            "commitment",
            c.handle,
        )
        for c in overdue
    ]


def review_alert(
    handle: str,
    as_of: date,
    next_review_due: date | None,
    last_review: ReviewView | None,
    registered_on: date,
) -> list[Alert]:
    """An alert when the next review was due before ``as_of`` (about the last review)."""
    if next_review_due is None or next_review_due >= as_of:
        return []
    late = (as_of - next_review_due).days
    since = (
        f"last review {last_review.occurred_on.isoformat()}"
        if last_review is not None
        else f"no review since registration on {registered_on.isoformat()}"
    )
    return [
        Alert(
            "review_overdue",
            handle,
            f"review overdue: was due {next_review_due.isoformat()} ({_days(late)} ago), {since}",
            "review",
            str(last_review.position) if last_review is not None else None,
        )
    ]


def issue_alerts(handle: str, issues: Iterable[IssueView], config: ModelConfig) -> list[Alert]:
    """One alert per issue open longer than ``issue_open_too_long_days``."""
    return [
        Alert(
            "issue_open_too_long",
            handle,
            f"issue {issue.handle} ({issue.severity}) open for {_days(issue.days_open)} "
            f"since {issue.raised_on.isoformat()}",
            "issue",
            issue.handle,
        )
        for issue in issues
        if issue.is_open and issue.days_open > config.issue_open_too_long_days
    ]


def partner_cards_in_window(
    issues: Iterable[IssueView], as_of: date, config: ModelConfig
) -> list[IssueView]:
    """Issues whose partner card was played within ``partner_card_window_days`` of ``as_of``."""
    window = config.partner_card_window_days
    return [
        issue
        for issue in issues
        if issue.partner_card and 0 <= (as_of - issue.raised_on).days <= window
    ]


def partner_card_alerts(handle: str, cards: Iterable[IssueView], as_of: date) -> list[Alert]:
    """One alert per partner card played within the window."""
    return [
        Alert(
            "partner_card",
            handle,
            f"partner card played in issue {issue.handle} on {issue.raised_on.isoformat()} "
            f"({_days((as_of - issue.raised_on).days)} ago)",
            "issue",
            issue.handle,
        )
        for issue in cards
    ]


def trust_drop_alert(handle: str, before: float, now: float, config: ModelConfig) -> list[Alert]:
    """An alert when trust fell by at least ``trust_drop`` since the window's start."""
    drop = before - now
    if drop < config.trust_drop - _EPSILON:
        return []
    return [
        Alert(
            "trust_drop",
            handle,
            f"trust fell {drop:.2f} in {_days(config.trust_drop_window_days)} "
            f"({before:.2f} to {now:.2f})",
        )
    ]


def concentration_alert(
    handle: str, share: float | None, as_of: date, config: ModelConfig
) -> list[Alert]:
    """An alert when ``share`` of the 12-month revenue exceeds ``concentration_share``."""
    if share is None or share <= config.concentration_share:
        return []
    return [
        Alert(
            "concentration",
            handle,
            f"revenue concentration: {share:.0%} of the portfolio's revenue in the 12 months "
            f"to {as_of.year:04d}-{as_of.month:02d} (more than {config.concentration_share:.0%})",
        )
    ]
