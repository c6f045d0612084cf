"""The review pack: one partnership's periodic review as a self-contained HTML or PDF file.

For the joint review with the partner, who has no access to the ledger: the header (who,
which period, as of when, as known when, the scoring model, when made), the status with its
reason and figures (equal to ``trustledger report --format json``), charts of trust and
alignment over the period and of each side's reliability, the latest review by dimension
(ours beside theirs, asymmetries marked), the period's commitments by side and its issues,
revenue by month, and the audit link of the newest event included.

A layer between the front ends (the command line's ``pack``, the dashboard's key) and the
service: it takes the events as an argument and never opens a store.

- :func:`pack_context` replays the events once; :func:`gather_pack` builds a
  :class:`ReviewPack` from it; :func:`render_pack` / :func:`render_index` give HTML;
  :func:`render_pdf` gives PDF.
- :func:`write_pack` and :func:`write_all` (one pack per partnership and an index) write files.
"""

from trustledger.tui.pack.gather import (
    PackContext,
    PackError,
    default_since,
    gather_pack,
    pack_context,
    portfolio_index,
)
from trustledger.tui.pack.model import AuditAnchor, PortfolioIndex, ReviewPack
from trustledger.tui.pack.output import (
    FORMATS,
    INDEX,
    Format,
    pack_bytes,
    pack_filename,
    write_all,
    write_pack,
)
from trustledger.tui.pack.pdf import PAPERS, Paper, PdfUnavailable, render_pdf
from trustledger.tui.pack.render import render_index, render_pack

__all__ = [
    "FORMATS",
    "INDEX",
    "PAPERS",
    "AuditAnchor",
    "Format",
    "PackContext",
    "PackError",
    "Paper",
    "PdfUnavailable",
    "PortfolioIndex",
    "ReviewPack",
    "default_since",
    "gather_pack",
    "pack_bytes",
    "pack_context",
    "pack_filename",
    "portfolio_index",
    "render_index",
    "render_pack",
    "render_pdf",
    "write_all",
    "write_pack",
]
