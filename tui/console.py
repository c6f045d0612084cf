"""The ``trustledger`` console script's entry point.

A start imports a few hundred modules (Textual, pydantic, the ledger's own), and every object
they make lives as long as the process. Python's cyclic garbage collector, left on, walks
them again each time enough new objects pile up: at the dashboard's start that is tens of
milliseconds of a first frame spent finding nothing to free. So the collector is paused
while the command's modules load, and resumed, with everything loaded so far frozen out of
its walks (``gc.freeze``), by whoever has loaded them: the command line before it runs a
command, the dashboard once its first picture is drawn. Reference counting frees memory as
usual meanwhile.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Run the command line (:mod:`trustledger.tui.__main__`) with the collector paused
    while it loads."""
    gc.disable()
    from trustledger.tui.__main__ import main as command_line

    command_line()


if __name__ == "__main__":
    main()
