"""Benchmark: how quickly the dashboard gives up without a terminal, and ends when its
terminal goes away.

- No terminal: ``trustledger --store S </dev/null >/dev/null`` and the same with stdin and
  stdout on pipes (``ssh host trustledger`` without ``-t``), each a fresh process; the time
  from launch until it has exited (2, one line on stderr).
- Terminal gone: the dashboard on a new 80x24 pseudo-terminal, once the screen shows
  ``LIVE``; the time from closing the terminal's master side (a killed tmux pane, a dropped
  SSH link) until the process has exited. Measured with the pty as the controlling terminal
  (the kernel sends SIGHUP) and without (the dashboard's own watch ends it), and, where
  tmux is installed, for a dashboard in a tmux pane that ``tmux kill-pane`` removes.

Usage: python benchmarks/terminal_bench.py [--runs 10]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TRUSTLEDGER = BIN / "trustledger"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def no_terminal(store: Path, env: dict[str, str], pipes: bool) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(TRUSTLEDGER), "--store", str(store)],
        stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
        stdout=subprocess.PIPE if pipes else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 2 or len(done.stderr.splitlines()) != 1:
        raise SystemExit(f"expected exit 2 and one line, got {done.returncode}: {done.stderr!r}")
    return elapsed


def terminal_gone(store: Path, env: dict[str, str], controlling: bool) -> float:
    master, slave = pty.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    def take_terminal() -> None:
        if controlling:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [str(TRUSTLEDGER), "--store", str(store)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=take_terminal,
    )
    os.close(slave)
    seen = b""
    while b"LIVE" not in seen:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            process.kill()
            raise SystemExit("the dashboard never drew its screen")
        seen += os.read(master, 65536)
    started = time.perf_counter()
    os.close(master)
    process.wait(timeout=60)
    return time.perf_counter() - started


def tmux_pane_killed(store: Path, env: dict[str, str], socket: str) -> float:
    tmux = ["tmux", "-L", socket]
    command = f"exec {TRUSTLEDGER} --store {store}"
    # A second session keeps the server up, so that only the pane goes away.
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "keep", "sleep 600"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "80", "-y", "24", "-s", "bench", command],
        env=env,
        check=True,
    )
    pid = int(
        subprocess.run(
            [*tmux, "display-message", "-p", "-t", "bench", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    deadline = time.monotonic() + 60
    while (
        "LIVE"
        not in subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", "bench"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    ):
        if time.monotonic() > deadline:
            raise SystemExit("the dashboard never drew its screen in tmux")
        time.sleep(0.05)
    started = time.perf_counter()
    subprocess.run([*tmux, "kill-pane", "-t", "bench"], check=True)
    while _running(pid):
        if time.perf_counter() - started > 60:
            raise SystemExit("the dashboard outlived its pane by a minute")
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    subprocess.run([*tmux, "kill-server"], check=False)
    return elapsed


def _running(pid: int) -> bool:
    """Is ``pid`` alive (not gone, and not a zombie waiting to be reaped)?"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next((line for line in status.splitlines() if line.startswith("State:")), "")
    return "Z" not in state.split()[1:2]


def report(name: str, values: list[float]) -> None:
    print(
        f"{name:<48} median {statistics.median(values) * 1000:6.0f} ms"
        f"   p90 {percentile(values, 0.9) * 1000:6.0f} ms   max {max(values) * 1000:6.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "TRUSTLEDGER_STORE"}
        env |= {
            "TERM": "xterm-256color",
            "XDG_DATA_HOME": str(directory / "data"),
            "XDG_CONFIG_HOME": str(directory / "config"),
            "XDG_CACHE_HOME": str(directory / "cache"),
        }
        store = directory / "demo.sqlite"
        subprocess.run(
            [str(TRUSTLEDGER), "demo", "--store", str(store), "--no-open"],
            env=env,
            capture_output=True,
            check=True,
        )
        runs = options.runs
        report(
            "no terminal: </dev/null >/dev/null",
            [no_terminal(store, env, False) for _ in range(runs)],
        )
        report(
            "no terminal: stdin and stdout pipes (ssh, no -t)",
            [no_terminal(store, env, True) for _ in range(runs)],
        )
        report(
            "terminal closed, not the controlling one",
            [terminal_gone(store, env, False) for _ in range(runs)],
        )
        report(
            "terminal closed, the controlling one (SIGHUP)",
            [terminal_gone(store, env, True) for _ in range(runs)],
        )
        if shutil.which("tmux"):
            report(
                "tmux: the pane killed (kill-pane)",
                [
                    tmux_pane_killed(store, env, f"trustledger-bench-{os.getpid()}-{n}")
                    for n in range(runs)
                ],
            )


if __name__ == "__main__":
    main()
