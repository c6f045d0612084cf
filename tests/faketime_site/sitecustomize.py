"""Loaded by every Python process the suite starts while it runs under libfaketime.

``tests/faketime_support.py`` bridges timed ``Condition`` waits in the test process; the
dashboards, followers and commands the tests start as processes of their own wait the same
way (a reconnecting follower's back-off, the SQLite watcher's poll), so they get the same
bridge. The suite puts this directory on ``PYTHONPATH`` only under libfaketime.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_trustledger_faketime_support", Path(__file__).resolve().parent.parent / "faketime_support.py"
)
if _spec is not None and _spec.loader is not None:
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    _module.bridge_timed_waits()
