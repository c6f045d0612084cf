"""Pure read models over the ledger's events: trust, alignment, status, alerts, portfolio.

A functional core: no I/O except reading the model's TOML config, no clock (as-of dates and
known-at times are arguments). Imports point down only: ``domain.events``, never ``tui``.

Entry points:

- :func:`replay` -- the :class:`Portfolio` at the end of an as-of day, as known at a time;
  :func:`report_rows` -- the contract's JSON rows from it.
- :class:`Follower` -- live state fed batch by batch (from a stored state or from scratch).
- :func:`trend`, :func:`sparklines` -- trust/alignment series; :func:`explain` -- which events
  moved the scores.
- :func:`fold`, :func:`evolve`, :func:`evolve_all`, :func:`portfolio_at` -- the fold and the
  view builder beneath.
- :class:`ModelConfig`, :func:`load_config`, :data:`MODEL_VERSION` -- the model's parameters.

Trust has one evidence stream and one accumulator (:mod:`~trustledger.projections.evidence`),
alignment one accumulator (:class:`~trustledger.projections.alignment.AlignmentSums`): every
figure above is read from them.
"""

from trustledger.projections.config import (
    MODEL_VERSION,
    ModelConfig,
    default_config_path,
    load_config,
)
from trustledger.projections.explain import ExplainRow, explain, explain_partnership
from trustledger.projections.follower import Follower, NeedsFullState
from trustledger.projections.portfolio import assemble, partnership_view, portfolio_at
from trustledger.projections.replay import fold, is_visible, replay, select
from trustledger.projections.report import REPORT_KEYS, report_row, report_rows
from trustledger.projections.state import PartnershipState, PortfolioState, evolve, evolve_all
from trustledger.projections.trends import series, sparklines, trend
from trustledger.projections.views import (
    STATUSES,
    Alert,
    Asymmetry,
    CommitmentCounts,
    CommitmentView,
    IssueView,
    PartnershipView,
    Portfolio,
    ReviewView,
    Status,
    SubjectKind,
    TrendPoint,
)

__all__ = [
    "MODEL_VERSION",
    "REPORT_KEYS",
    "STATUSES",
    "Alert",
    "Asymmetry",
    "CommitmentCounts",
    "CommitmentView",
    "ExplainRow",
    "Follower",
    "IssueView",
    "ModelConfig",
    "NeedsFullState",
    "PartnershipState",
    "PartnershipView",
    "Portfolio",
    "PortfolioState",
    "ReviewView",
    "Status",
    "SubjectKind",
    "TrendPoint",
    "assemble",
    "default_config_path",
    "evolve",
    "evolve_all",
    "explain",
    "explain_partnership",
    "fold",
    "is_visible",
    "load_config",
    "partnership_view",
    "portfolio_at",
    "replay",
    "report_row",
    "report_rows",
    "select",
    "series",
    "sparklines",
    "trend",
]
