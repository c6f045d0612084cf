"""The keys file: who may log in to ``trustledger serve``, under which name and role.

A TOML file of ``[[user]]`` tables (docs/CONTRACT.md, "Additions")::

    [[user]]
    name = "maria.lopez"        # the actor recorded on everything this user records
    role = "recorder"           # viewer | recorder | admin
    keys = ["ssh-ed25519 AAAA... maria@laptop"]   # OpenSSH public key lines

A key is an identity: the SSH user name is ignored. Anything wrong is one
:class:`KeysError` whose message starts with ``FILE:LINE:``; nothing of a bad file is used.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

ROLES = ("viewer", "recorder", "admin")
FIELDS = {"name", "role", "keys"}
#: An actor name here: printable, no spaces or quotes, at most 64 characters.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
_USER_HEADER = re.compile(r"^\s*\[\[\s*user\s*\]\]\s*(#.*)?$")
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class KeysError(Exception):
    """The keys file cannot be used: ``FILE:LINE: message``."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    #: fingerprint (SHA256:...) of each of the user's keys
    fingerprints: tuple[str, ...]


@dataclass(frozen=True)
class Keys:
    """Every user, by the public key they log in with."""

    path: Path
    by_key: dict[bytes, tuple[User, str]]  # public key blob -> (user, its fingerprint)

    def find(self, key: asyncssh.SSHKey) -> tuple[User, str] | None:
        return self.by_key.get(key.public_data)

    @property
    def users(self) -> list[User]:
        seen: dict[str, User] = {}
        for user, _ in self.by_key.values():
            seen.setdefault(user.name, user)
        return list(seen.values())


def load_keys(path: Path) -> Keys:
    """Read and check the keys file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeysError(f"{path}: no keys file (see 'trustledger serve --help')") from None
    except UnicodeDecodeError:
        raise KeysError(f"{path}:1: not UTF-8 text") from None
    except OSError as exc:
        raise KeysError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_keys(text, path)


def parse_keys(text: str, path: Path) -> Keys:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = found.group(1) if found else "1"
        message = _TOML_LINE.sub("", str(exc)).strip()
        raise KeysError(f"{path}:{line}: not TOML: {message}") from None
    lines = text.split("\n")
    headers = [n for n, line in enumerate(lines, 1) if _USER_HEADER.match(line)]
    unknown = sorted(set(data) - {"user"})
    if unknown:
        raise KeysError(
            f"{path}:{_line_of(lines, unknown[0], 1, len(lines))}: {unknown[0]}: "
            "unknown table or key (only [[user]] tables)"
        )
    users = data.get("user", [])
    if not isinstance(users, list):
        raise KeysError(f"{path}:{_line_of(lines, 'user', 1, len(lines))}: user: use [[user]]")
    by_key: dict[bytes, tuple[User, str]] = {}
    names: set[str] = set()
    for index, table in enumerate(users):
        start = headers[index] if index < len(headers) else 1
        end = headers[index + 1] - 1 if index + 1 < len(headers) else len(lines)
        user, keys = _user(table, path, lines, start, end)
        where = f"{path}:{_line_of(lines, 'name', start, end)}"
        if user.name in names:
            raise KeysError(f"{where}: name: {user.name!r} is listed twice")
        names.add(user.name)
        for blob, fingerprint, lineno in keys:
            if blob in by_key:
                other = by_key[blob][0].name
                raise KeysError(f"{path}:{lineno}: keys: this key is already {other!r}'s")
            by_key[blob] = (user, fingerprint)
    return Keys(path=path, by_key=by_key)


def _user(
    table: Any, path: Path, lines: list[str], start: int, end: int
) -> tuple[User, list[tuple[bytes, str, int]]]:
    def fault(field: str, message: str) -> KeysError:
        return KeysError(f"{path}:{_line_of(lines, field, start, end)}: {field}: {message}")

    extra = sorted(set(table) - FIELDS)
    if extra:
        raise fault(extra[0], "unknown field (name, role and keys are)")
    for field in ("name", "role", "keys"):
        if field not in table:
            raise KeysError(f"{path}:{start}: [[user]]: {field} is missing")
    name, role, keys = table["name"], table["role"], table["keys"]
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise fault("name", "must be 1-64 letters, digits and . _ @ + - (starting with one)")
    if role not in ROLES:
        raise fault("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    if not isinstance(keys, list) or not keys:
        raise fault("keys", "must be a list of OpenSSH public key lines")
    found: list[tuple[bytes, str, int]] = []
    for entry in keys:
        lineno = _line_of_text(lines, entry, start, end) if isinstance(entry, str) else start
        if not isinstance(entry, str):
            raise KeysError(f"{path}:{lineno}: keys: each key is a string")
        try:
            key = asyncssh.import_public_key(entry.strip())
        except (asyncssh.KeyImportError, ValueError) as exc:
            raise KeysError(f"{path}:{lineno}: keys: not an OpenSSH public key: {exc}") from None
        found.append((key.public_data, key.get_fingerprint("sha256"), lineno))
    user = User(name=name, role=role, fingerprints=tuple(f for _, f, _ in found))
    return user, found


def _line_of(lines: list[str], field: str, start: int, end: int) -> int:
    """The line of ``field = ...`` (or a ``[field]`` table) between ``start`` and ``end``."""
    name = re.escape(field)
    pattern = re.compile(rf"^\s*(\"?{name}\"?\s*=|\[+\s*{name}\s*\]+)")
    for n in range(start, end + 1):
        if pattern.match(lines[n - 1]):
            return n
    return start


def _line_of_text(lines: list[str], text: str, start: int, end: int) -> int:
    probe = text.strip()[:60]
    for n in range(start, end + 1):
        if probe and probe in lines[n - 1]:
            return n
    return _line_of(lines, "keys", start, end)
