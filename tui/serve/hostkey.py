"""The server's host key: an ed25519 key made on first start, kept 0600, and its fingerprint."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh


class HostKeyError(Exception):
    """The host key file cannot be read or made (one line)."""


def host_key(path: Path) -> tuple[asyncssh.SSHKey, bool]:
    """The key at ``path``, made there (mode 0600, its directory 0700) when missing; and
    whether it was made now."""
    if path.exists():
        try:
            return asyncssh.read_private_key(path), False
        except (OSError, asyncssh.KeyImportError, ValueError) as exc:
            raise HostKeyError(f"--host-key {path}: cannot read the key: {exc}") from None
    key = asyncssh.generate_private_key("ssh-ed25519")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.export_private_key())
    except OSError as exc:
        raise HostKeyError(f"--host-key {path}: cannot write: {exc.strerror or exc}") from None
    return key, True
