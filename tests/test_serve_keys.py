"""The keys file (FILE:LINE errors), which remote command each role may run, and the
service's enforcement of the session's actor and role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trustledger.domain.events import PartnershipRegistered
from trustledger.domain.ledger import Located
from trustledger.domain.store import parse_store_url
from trustledger.tui.serve.keys import KeysError, load_keys, parse_keys
from trustledger.tui.serve.policy import COMMAND_ROLES, LOCAL_ONLY, Refused, parse_request
from trustledger.tui.service.access import ACTOR_ENV, ROLE_ENV, NotAllowed
from trustledger.tui.service.ledger_service import LedgerService

from tests.cli_helpers import run_cli
from tests.test_serve_support import make_key


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    directory = tmp_path_factory.mktemp("keys")
    return [make_key(directory, f"k{n}").public for n in range(3)]


def good(public: list[str]) -> str:
    return (
        "# the team\n"
        "[[user]]\n"
        'name = "maria.lopez"\n'
        'role = "recorder"\n'
        f'keys = ["{public[0]}", "{public[1]}"]\n'
        "\n"
        "[[user]]\n"
        'name = "victor"\n'
        'role = "viewer"\n'
        f'keys = [\n  "{public[2]}",\n]\n'
    )


def test_a_good_file_maps_each_key_to_its_user(public: list[str]) -> None:
    keys = parse_keys(good(public), Path("keys.toml"))
    assert sorted(u.name for u in keys.users) == ["maria.lopez", "victor"]
    roles = {user.name: user.role for user, _ in keys.by_key.values()}
    assert roles == {"maria.lopez": "recorder", "victor": "viewer"}
    assert len(keys.by_key) == 3
    assert all(fp.startswith("SHA256:") for _, fp in keys.by_key.values())


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (lambda t: t.replace('role = "viewer"', 'role = "boss"'), 9, "role: must be one of"),
        (lambda t: t.replace('name = "victor"', 'name = "two words"'), 8, "name: must be"),
        (lambda t: t.replace('role = "recorder"', 'role = "recorder"\ncolour = 1'), 5, "colour"),
        (lambda t: t.replace('name = "victor"\n', ""), 7, "name is missing"),
        (lambda t: t.replace('role = "viewer"', 'role = "viewer'), 9, "not TOML"),
        (lambda t: t.replace('name = "victor"', 'name = "maria.lopez"'), 8, "listed twice"),
        (lambda t: t + "[server]\nport = 1\n", 13, "unknown table"),
    ],
)
def test_a_bad_file_names_the_line(public: list[str], change, where: int, words: str) -> None:
    with pytest.raises(KeysError) as caught:
        parse_keys(change(good(public)), Path("keys.toml"))
    message = str(caught.value)
    assert message.startswith(f"keys.toml:{where}: "), message
    assert words in message
    assert "\n" not in message


def test_a_bad_key_line_names_its_line(public: list[str]) -> None:
    text = good(public).replace(public[2], "ssh-ed25519 AAAAnot-a-key victor@x")
    with pytest.raises(KeysError) as caught:
        parse_keys(text, Path("k.toml"))
    assert str(caught.value).startswith("k.toml:11: keys: not an OpenSSH public key")


def test_one_key_for_two_users_is_refused(public: list[str]) -> None:
    text = good(public).replace(public[2], public[0])
    with pytest.raises(KeysError, match=r"^k.toml:11: keys: this key is already 'maria.lopez'"):
        parse_keys(text, Path("k.toml"))


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(KeysError, match="no keys file"):
        load_keys(tmp_path / "none.toml")


def test_serve_refuses_a_malformed_keys_file_at_start(tmp_path: Path, public: list[str]) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text(good(public).replace('role = "viewer"', 'role = "god"'), encoding="utf-8")
    done = run_cli(
        tmp_path / "s.sqlite",
        "serve",
        "--keys",
        str(keys),
        "--host-key",
        str(tmp_path / "hk"),
        "--listen",
        "127.0.0.1:0",
    )
    assert done.code == 2
    assert (
        done.err
        == f"trustledger: {keys}:9: role: must be one of viewer, recorder, admin, not 'god'\n"
    )


# -- which command, for whom ----------------------------------------------------------------


def test_every_command_line_command_is_classified() -> None:
    from trustledger.tui.cli.main import COMMANDS

    for name in COMMANDS:
        assert name in COMMAND_ROLES or name in LOCAL_ONLY, name


@pytest.mark.parametrize(
    ("command", "role", "args"),
    [
        (None, "viewer", ()),
        ("", "viewer", ()),
        ("trustledger", "viewer", ()),
        ("trustledger report --format json", "viewer", ("report", "--format", "json")),
        ("audit log --actor 'maria lopez'", "viewer", ("audit", "log", "--actor", "maria lopez")),
        ("record", "recorder", ("record",)),
        ("record -", "admin", ("record", "-")),
        ("tui --as-of 2026-01-31", "viewer", ("tui", "--as-of", "2026-01-31")),
        ("log 20", "admin", ("log", "20")),
    ],
)
def test_requests_that_run(command: str | None, role: str, args: tuple[str, ...]) -> None:
    assert parse_request(command, role).args == args


@pytest.mark.parametrize(
    ("command", "as_of"),
    [
        ("tui --as-of 2026-01-31", "2026-01-31"),
        ("tui --as-of=2026-01-31", "2026-01-31"),
        ("tui", None),
        (None, None),
        ("report --as-of 2026-01-31", None),  # only the dashboard's date is the session's
    ],
)
def test_the_dashboards_as_of_date(command: str | None, as_of: str | None) -> None:
    assert parse_request(command, "viewer").as_of == as_of


@pytest.mark.parametrize(
    ("command", "role", "words"),
    [
        ("record", "viewer", "a viewer may not run it"),
        ("commit acme c1", "viewer", "a viewer may not run it"),
        ("log", "recorder", "needs admin"),
        ("migrate --to x", "admin", "local only"),
        ("serve", "admin", "local only"),
        ("pack acme", "admin", "local only"),
        ("report --store /elsewhere", "admin", "--store: not over SSH"),
        ("report --store=/elsewhere", "admin", "--store: not over SSH"),
        ("report --config /etc/passwd", "admin", "--config: not over SSH"),
        ("record /etc/passwd", "admin", "stdin only"),
        ("rm -rf /", "admin", "no such command"),
        ("report 'unclosed", "viewer", "cannot read the command"),
        ("tui --theme x", "viewer", "only --as-of"),
    ],
)
def test_requests_that_are_refused(command: str, role: str, words: str) -> None:
    with pytest.raises(Refused, match=words):
        parse_request(command, role)


# -- the service records under the session's identity ----------------------------------------


def registered(handle: str, actor: str | None = None) -> str:
    line: dict[str, str] = {"type": "partnership_registered", "partnership": handle, "name": "N"}
    if actor:
        line["actor"] = actor
    return json.dumps(line)


def test_the_session_actor_wins_over_the_line_and_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = LedgerService(parse_store_url(str(tmp_path / "s.sqlite")))
    monkeypatch.setenv(ACTOR_ENV, "maria.lopez")
    monkeypatch.setenv(ROLE_ENV, "recorder")
    lines = [Located("stdin", 1, registered("a", "mallory")), Located("stdin", 2, registered("b"))]
    result = service.record(lines, actor="mallory")
    assert result.ok and result.recorded == 2
    recorder = service.recorder()
    line = PartnershipRegistered(
        type="partnership_registered", partnership="c", name="C", actor="mallory"
    )
    assert recorder.record(line, "form").ok
    recorder.close()
    assert {e.line.actor for e in service.events()} == {"maria.lopez"}


def test_a_viewer_session_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = LedgerService(parse_store_url(str(tmp_path / "s.sqlite")))
    service.record([Located("x", 1, registered("a"))])
    monkeypatch.setenv(ACTOR_ENV, "victor")
    monkeypatch.setenv(ROLE_ENV, "viewer")
    assert not service.access.may_record
    with pytest.raises(NotAllowed):
        service.record([Located("x", 1, registered("b"))])
    line = PartnershipRegistered(type="partnership_registered", partnership="c", name="C")
    result = service.recorder().record(line, "form")
    assert not result.ok and "viewer" in result.errors[0].message
    assert [e.line.partnership for e in service.events()] == ["a"]


def test_a_remote_session_cannot_name_another_store(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    done = run_cli(
        store,
        "partner",
        "add",
        "a",
        "--name",
        "A",
        env={ACTOR_ENV: "maria.lopez", ROLE_ENV: "recorder"},
    )
    assert done.code == 2 and "--store: not over SSH" in done.err
    assert not store.exists()
