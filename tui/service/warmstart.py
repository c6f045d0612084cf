"""A warm start for the live view: a snapshot of the follower's state in the user cache.

Starting the dashboard on a big store would replay every event. Instead the follower's
state is saved (``Follower.dump``) next to the position it reached and the chain link of
the event there; the next start loads it, checks that the store still holds that very
event at that position (so a replaced or rebuilt store is never mistaken for the old
one), and reads only the events recorded since. A snapshot that does not fit (another
model version or configuration, a damaged file, another store) is ignored and the state
is rebuilt from the store.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs import user_cache_dir
from trustledger.domain.paging import pages
from trustledger.domain.store import APP_NAME
from trustledger.projections import Follower, ModelConfig, StaleSnapshot

if TYPE_CHECKING:
    from trustledger.domain.ledger import Ledger

PAGE = 20000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk replay.

    A replay allocates millions of small objects that live on; the collector would walk
    them again and again for nothing (they hold no cycles to free). Reference counting
    still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def snapshot_path(ledger: Ledger) -> Path:
    key = hashlib.sha256(ledger.store.display.encode()).hexdigest()[:24]
    return Path(user_cache_dir(APP_NAME)) / "snapshots" / f"{key}.pickle"


def _link_at(ledger: Ledger, position: int) -> str | None:
    if position <= 0:
        return ""
    events = ledger.read(position - 1, 1)
    return events[0].link if events and events[0].position == position else None


def load_follower(ledger: Ledger, config: ModelConfig, path: Path | None = None) -> Follower:
    """The follower from the last snapshot when it fits this store, else a fresh one."""
    path = path or snapshot_path(ledger)
    try:
        data = pickle.loads(path.read_bytes())
        follower = Follower.load(data["follower"], config)
        if _link_at(ledger, follower.last_position) != data["link"]:
            raise StaleSnapshot("the store no longer holds the snapshot's events")
        return follower
    except (OSError, KeyError, TypeError, pickle.UnpicklingError, StaleSnapshot, EOFError):
        return Follower(config)


def catch_up(
    ledger: Ledger, follower: Follower, progress: Callable[[int, int], None] | None = None
) -> set[str]:
    """Fold every event recorded after the follower's position; return the changed handles."""
    changed: set[str] = set()
    newest = ledger.max_position()
    read = partial(ledger.read, trusted=True)
    with gc_paused():
        for batch in pages(read, follower.last_position, PAGE):
            changed |= follower.apply(batch, ledger.history)
            if progress:
                progress(follower.last_position, newest)
    return changed


def save_follower(ledger: Ledger, follower: Follower, path: Path | None = None) -> None:
    """Write the snapshot atomically (a crash mid-write leaves the old one in place)."""
    path = path or snapshot_path(ledger)
    payload = {"follower": follower.dump(), "link": _link_at(ledger, follower.last_position)}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(temporary, path)
