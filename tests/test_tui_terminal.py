"""The dashboard and its terminal: none to start on, or one that goes away.

Without a terminal the dashboard used to draw an 80x24 screen into the pipe, and after
Ctrl+C run on, orphaned, at most of a core. Now ``trustledger`` with stdin or stdout not a
terminal (``trustledger </dev/null >/dev/null``, ``ssh host trustledger`` without ``-t``:
the same check of stdin and stdout) exits 2 with one line. A running dashboard whose
terminal goes away (the pane is killed, the SSH link drops: the pty's master side closes)
ends by itself: the process is tested on a real pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
from pathlib import Path

import pytest
from trustledger.tui.dashboard.terminal import EXIT_HANGUP, has_terminal, terminal_gone

from tests.test_tui_support import TRUSTLEDGER

#: The issue's bound: a dashboard whose terminal closed has exited this long after.
GONE_WITHIN = 2.0
MESSAGE = "trustledger: the dashboard needs a terminal on stdin and stdout"


def private_env(tmp_path: Path) -> dict[str, str]:
    """No user config, cache or data of the machine's user is read or written."""
    return {
        **os.environ,
        "TERM": "xterm-256color",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }


@pytest.mark.parametrize("where", ["devnull", "pipes", "stdout-piped"])
def test_no_terminal_is_one_line_and_exit_2(sample_store, tmp_path, where):
    """``trustledger </dev/null >/dev/null``; ``ssh host trustledger`` without -t (stdin
    and stdout are pipes there, the remote command reads and writes through sshd); a
    terminal on stdin with stdout piped away."""
    master, slave = pty.openpty() if where == "stdout-piped" else (-1, -1)
    stdin = {"devnull": subprocess.DEVNULL, "pipes": subprocess.PIPE}.get(where, slave)
    stdout = subprocess.DEVNULL if where == "devnull" else subprocess.PIPE
    try:
        process = subprocess.Popen(
            [str(TRUSTLEDGER), "--store", str(sample_store.path)],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=private_env(tmp_path),
        )
        out, err = process.communicate(timeout=60)
    finally:
        for fd in (master, slave):
            if fd >= 0:
                os.close(fd)
    assert process.returncode == 2
    assert err.startswith(MESSAGE), err
    assert len(err.splitlines()) == 1
    assert not out  # nothing drawn into the pipe


def test_the_checks_of_a_terminal(tmp_path):
    master, slave = pty.openpty()
    with open(os.devnull) as devnull, os.fdopen(slave, "r", closefd=False) as tty:
        assert has_terminal([tty, tty])
        assert not has_terminal([tty, devnull])
        assert not terminal_gone([slave])
        os.close(master)
        assert terminal_gone([slave])
    os.close(slave)


def start_on_pty(store: Path, tmp_path: Path, *, controlling: bool) -> tuple[subprocess.Popen, int]:
    """The dashboard with stdin, stdout and stderr on a new 80x24 pty; ``controlling``: the
    pty is its controlling terminal (as in a tmux pane or an SSH session)."""
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
        env=private_env(tmp_path),
        start_new_session=True,
        preexec_fn=take_terminal,
    )
    os.close(slave)
    return process, master


def wait_for_screen(master: int, text: bytes, timeout: float = 60) -> None:
    seen = b""
    while text not in seen:
        ready, _, _ = select.select([master], [], [], timeout)
        assert ready, f"the dashboard drew nothing with {text!r}: {seen[-300:]!r}"
        seen += os.read(master, 65536)


@pytest.mark.parametrize("controlling", [False, True], ids=["pty", "controlling-pty"])
def test_a_dashboard_whose_terminal_closes_exits(sample_store, tmp_path, controlling):
    process, master = start_on_pty(sample_store.path, tmp_path, controlling=controlling)
    try:
        wait_for_screen(master, b"LIVE")
        os.close(master)  # the terminal goes away: a killed pane, a dropped SSH link
        master = -1
        code = process.wait(timeout=GONE_WITHIN)
    finally:
        if master >= 0:
            os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    # Ended by the watch (129), or by the kernel's SIGHUP for a controlling terminal.
    assert code in (EXIT_HANGUP, -signal.SIGHUP)


def wait_for_text(master: int, text: bytes, timeout: float = 60) -> None:
    """Wait until the screen shows ``text`` (escape sequences taken out)."""
    seen = b""
    while text not in re.sub(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]", b"", seen):
        ready, _, _ = select.select([master], [], [], timeout)
        assert ready, f"the dashboard drew nothing with {text!r}: {seen[-300:]!r}"
        seen += os.read(master, 65536)


def test_keys_typed_ahead_on_the_terminal_mean_what_they_say(sample_store, tmp_path):
    """``/north⏎`` typed before the dashboard has the terminal (a script, ``tmux send-keys``
    right after the launch) reaches it through the terminal's line discipline, which turns
    the carriage return into a newline: it still filters and leaves the table focused, so
    the next Enter opens the partnership."""
    process, master = start_on_pty(sample_store.path, tmp_path, controlling=True)
    try:
        os.write(master, b"/north\r")  # before the interpreter has even started
        wait_for_text(master, b"LIVE")
        os.write(master, b"\r")
        wait_for_text(master, b"(northwind)")  # the partnership's header
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
        process.wait()
