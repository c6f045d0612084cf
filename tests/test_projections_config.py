"""The model's configuration: defaults, documentation and loading the [model] table."""

from __future__ import annotations

import typing
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from trustledger.projections import MODEL_VERSION, ModelConfig, load_config
from trustledger.projections import config as config_module

DEFAULTS = {
    "half_life_days": 180,
    "recovery_share": 0.5,
    "alignment_half_life_days": 180,
    "unproven_uncertainty": 0.5,
    "trusted_min_trust": 0.75,
    "trusted_max_uncertainty": 0.25,
    "trusted_min_alignment": 0.7,
    "emerging_min_trust": 0.6,
    "emerging_min_alignment": 0.55,
    "at_risk_max_trust": 0.45,
    "at_risk_max_alignment": 0.4,
    "at_risk_overdue": 3,
    "partner_card_window_days": 180,
    "issue_open_too_long_days": 30,
    "trust_drop_window_days": 30,
    "trust_drop": 0.15,
    "concentration_share": 0.5,
    "trusted_target_share": 0.2,
    "asymmetry_high": 4,
    "asymmetry_low": 2,
}


def test_defaults_and_documentation() -> None:
    config = ModelConfig()
    assert config_module.config_values(config) == DEFAULTS
    assert list(config_module.SETTINGS) == list(DEFAULTS)
    for name, item in config_module.SETTINGS.items():
        assert item.metadata["description"], f"{name} is not documented"
    assert MODEL_VERSION
    with pytest.raises(FrozenInstanceError):
        config.half_life_days = 10  # type: ignore[misc]


def test_the_defaults_are_a_valid_configuration_and_read_as_validated() -> None:
    # DEFAULT_CONFIG is made without validation (no validator is built at import): it must
    # equal a validated configuration of the defaults, and a configuration's values read
    # value for value and type for type as pydantic gives them (the read model's key is
    # made from them: an int where a float was would change it).
    assert config_module.config_from_mapping({}) == config_module.DEFAULT_CONFIG
    assert config_module.config_values(config_module.DEFAULT_CONFIG) == DEFAULTS
    table = {"half_life_days": 90, "at_risk_overdue": 5}
    custom = config_module.config_from_mapping(table)
    checked = config_module._validator().model_validate(table).model_dump()
    values = config_module.config_values(custom)
    assert values == checked and values["half_life_days"] == 90.0
    assert [type(v) for v in values.values()] == [type(v) for v in checked.values()]
    assert type(config_module.DEFAULT_CONFIG.half_life_days) is float


def test_each_bound_of_a_setting_is_checked() -> None:
    # The bounds live in each field's metadata and become pydantic's constraints: every
    # one of them refuses a value just past it.
    for name, item in config_module.SETTINGS.items():
        for bound, limit in item.metadata["bounds"].items():
            past = {"gt": limit, "ge": limit - 1, "le": limit + 1}[bound]
            value = type(item.default)(past)
            with pytest.raises(ValueError, match=rf"model\.{name}: Input should be"):
                config_module.config_from_mapping({name: value})


def test_load_reads_the_model_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[model]\nhalf_life_days = 90\ntrusted_min_trust = 0.8\n[ui]\ntheme = "x"\n')
    config = load_config(path)
    assert config.half_life_days == 90.0 and config.trusted_min_trust == 0.8
    assert config.recovery_share == 0.5


def test_a_file_without_a_model_table_gives_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[ui]\ntheme = "dark"\n')
    assert load_config(path) == ModelConfig()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[model]\nhalf_lfe_days = 90\n", ["model.half_lfe_days", "unknown"]),
        ("[model]\nhalf_life_days = -1\n", ["model.half_life_days", "greater than 0"]),
        ('[model]\nrecovery_share = "half"\n', ["model.recovery_share"]),
        ("[model]\nat_risk_overdue = 2.5\n", ["model.at_risk_overdue"]),
        ("[model]\nasymmetry_low = 4\n", ["asymmetry_low must be below"]),
        ("model = 3\n", ["must be a table"]),
        ("[model\n", ["not valid TOML"]),
    ],
)
def test_bad_files_name_the_file_and_the_key(tmp_path: Path, text: str, words: list[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ValueError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_the_default_path_is_optional(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere" / "config.toml"
    monkeypatch.setattr(config_module, "default_config_path", lambda: missing)
    assert load_config() == ModelConfig()
    missing.parent.mkdir()
    missing.write_text("[model]\ntrust_drop = 0.2\n")
    assert load_config().trust_drop == 0.2


def test_a_given_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_the_default_path_is_in_the_user_config_dir() -> None:
    path = config_module.default_config_path()
    assert path.name == "config.toml" and "trustledger" in str(path)


def test_the_words_reading_needs_are_the_line_models_words() -> None:
    # Reading uses the pydantic-free names in domain.recorded; they must be the models'.
    from trustledger.domain import events, recorded

    assert set(events.CORRECTION_TYPES) == recorded.CORRECTION_NAMES
    assert events.Recorded is recorded.Recorded and events.DIMENSIONS is recorded.DIMENSIONS
    assert typing.get_args(events.Dimension) == recorded.DIMENSIONS
