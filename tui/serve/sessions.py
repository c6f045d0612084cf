"""Running one session: the dashboard inside the server, or a process on pipes or a PTY.

- :func:`run_dashboard`: the dashboard in the server's own process, drawn on the session's
  channel (:class:`~..service.channel.TerminalChannel`), at the client's size and following
  its window changes. The connection ending hangs the channel up, which ends the app; an
  app still running :data:`KILL_GRACE` later is cancelled.

Every other session is its own OS process (a command line), in its own process group,
started with the environment the server builds (the key's name and role, the store, the
terminal type; nothing else from the client). It ends with its channel:
when the client goes away the group gets SIGTERM, then SIGKILL one second later, so no
process outlives its connection.

- :func:`run_piped`: stdin streamed to the process as it comes, stdout and stderr kept
  apart, the process's exit status returned (128 + N for a signal).
- :func:`run_on_terminal`: the process on a new PTY at the client's size; window changes
  reach it (``TIOCSWINSZ`` and SIGWINCH).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import signal
import struct
import termios
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import asyncssh
from trustledger.tui.service.channel import TerminalChannel

CHUNK = 65536
#: How long a process has between SIGTERM and SIGKILL when its session ends.
KILL_GRACE = 1.0

Started = Callable[[int], None]
Activity = Callable[[], None]
#: Runs the dashboard on a channel until it ends; its exit status.
DrawOn = Callable[[TerminalChannel], Awaitable[int]]


async def _stop_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM to the process's group, SIGKILL after :data:`KILL_GRACE`; wait for it.
    A group whose leader has exited gets SIGKILL at once: nothing it started outlives it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.returncode is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            await asyncio.wait_for(proc.wait(), KILL_GRACE)
            return
        except TimeoutError:
            continue
    await proc.wait()


def exit_status(code: int) -> int:
    return 128 - code if code < 0 else code


async def run_piped(
    process: asyncssh.SSHServerProcess[bytes],
    argv: Sequence[str],
    env: Mapping[str, str],
    started: Started,
    activity: Activity,
) -> int | None:
    """Run ``argv`` with the channel's stdin, stdout and stderr; its exit status, or None
    when the channel closed first (the process was then stopped)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        start_new_session=True,
    )
    started(proc.pid)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

    async def feed() -> None:
        assert proc.stdin is not None
        try:
            while True:
                data = await process.stdin.read(CHUNK)
                if not data:
                    break
                activity()
                proc.stdin.write(data)
                await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError, asyncssh.Error):
            pass  # the process stopped reading (it may not read stdin at all)
        except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived, asyncssh.SignalReceived):
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                proc.stdin.close()

    async def copy(source: asyncio.StreamReader, sink: asyncssh.SSHWriter[bytes]) -> None:
        while data := await source.read(CHUNK):
            activity()
            try:
                sink.write(data)
                await sink.drain()
            except (BrokenPipeError, ConnectionResetError, asyncssh.Error):
                return

    feeding = asyncio.ensure_future(feed())
    outputs: asyncio.Future[Any] = asyncio.ensure_future(
        asyncio.gather(copy(proc.stdout, process.stdout), copy(proc.stderr, process.stderr))
    )
    closed: asyncio.Future[Any] = asyncio.ensure_future(process.channel.wait_closed())
    try:
        await asyncio.wait({outputs, closed}, return_when=asyncio.FIRST_COMPLETED)
        if closed.done():
            await _stop_group(proc)
            return None
        code = await proc.wait()
        return exit_status(code)
    finally:
        feeding.cancel()
        closed.cancel()
        outputs.cancel()
        await _stop_group(proc)


def _set_size(fd: int, width: int, height: int, pixwidth: int = 0, pixheight: int = 0) -> None:
    size = struct.pack("HHHH", max(height, 1), max(width, 1), pixwidth, pixheight)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, size)


def _controlling_terminal() -> None:  # pragma: no cover - runs in the child
    """In the child before exec: a new session whose controlling terminal is the PTY."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


async def run_on_terminal(
    process: asyncssh.SSHServerProcess[bytes],
    argv: Sequence[str],
    env: Mapping[str, str],
    started: Started,
    activity: Activity,
) -> int | None:
    """Run ``argv`` on a new PTY bridged to the channel; its exit status, or None when the
    channel closed first (the process was then stopped)."""
    width, height, pixwidth, pixheight = process.get_terminal_size()
    master, slave = pty.openpty()
    try:
        _set_size(slave, width or 80, height or 24, pixwidth, pixheight)
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(env),
            preexec_fn=_controlling_terminal,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    started(proc.pid)
    os.set_blocking(master, False)
    loop = asyncio.get_running_loop()
    output_done = asyncio.Event()

    def readable() -> None:
        try:
            data = os.read(master, CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: every copy of the terminal's other side is closed
            data = b""
        if not data:
            loop.remove_reader(master)
            output_done.set()
            return
        activity()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, asyncssh.Error):
            process.stdout.write(data)

    def resize(exc: asyncssh.TerminalSizeChanged) -> None:
        with contextlib.suppress(OSError):
            _set_size(master, exc.width, exc.height, exc.pixwidth, exc.pixheight)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGWINCH)

    async def feed() -> None:
        while True:
            try:
                data = await process.stdin.read(CHUNK)
            except asyncssh.TerminalSizeChanged as exc:
                resize(exc)
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            except (asyncssh.Error, ConnectionError):
                return
            if not data:
                return
            activity()
            await _write_all(master, data)

    loop.add_reader(master, readable)
    feeding = asyncio.ensure_future(feed())
    closed = asyncio.ensure_future(process.channel.wait_closed())
    exited = asyncio.ensure_future(proc.wait())
    try:
        await asyncio.wait({closed, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not exited.done():
            await _stop_group(proc)
            return None
        # The process is gone: pass on what it wrote last (until the PTY reports EIO).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(output_done.wait(), 1.0)
        return exit_status(exited.result())
    finally:
        feeding.cancel()
        closed.cancel()
        loop.remove_reader(master)
        await _stop_group(proc)
        os.close(master)


async def _write_all(fd: int, data: bytes) -> None:
    """Write ``data`` to a non-blocking ``fd``, waiting while the PTY's buffer is full."""
    deadline = time.monotonic() + 10.0
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
            view = view[written:]
        except BlockingIOError:
            if time.monotonic() > deadline:
                return  # the process reads nothing: drop the keys rather than hang
            await asyncio.sleep(0.01)
        except OSError:
            return


async def run_dashboard(
    process: asyncssh.SSHServerProcess[bytes], draw: DrawOn, activity: Activity
) -> int | None:
    """Run the dashboard (``draw``) on the session's channel; its exit status, or None when
    the channel closed first (the app was then ended)."""
    width, height, _, _ = process.get_terminal_size()
    colorterm = process.env.get("COLORTERM")

    def write(data: bytes) -> None:
        activity()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, asyncssh.Error):
            process.stdout.write(data)

    channel = TerminalChannel(
        write,
        width or 80,
        height or 24,
        process.get_terminal_type() or "xterm",
        colorterm if isinstance(colorterm, str) else None,
    )

    async def feed() -> None:
        try:
            while True:
                try:
                    data = await process.stdin.read(CHUNK)
                except asyncssh.TerminalSizeChanged as exc:
                    channel.resize(exc.width, exc.height)
                    continue
                except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                    continue
                except (asyncssh.Error, ConnectionError):
                    return
                if not data:
                    return
                activity()
                channel.feed(data)
        finally:
            channel.hang_up()

    app = asyncio.ensure_future(draw(channel))
    feeding = asyncio.ensure_future(feed())
    closed = asyncio.ensure_future(process.channel.wait_closed())
    try:
        await asyncio.wait({app, closed, feeding}, return_when=asyncio.FIRST_COMPLETED)
        if app.done():
            return app.result()
        channel.hang_up()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(app), KILL_GRACE)
        return None
    finally:
        channel.hang_up()
        feeding.cancel()
        closed.cancel()
        if not app.done():
            app.cancel()
            with contextlib.suppress(BaseException):
                await app
