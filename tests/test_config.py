"""Settings: one table, file < environment < flag, clear errors, docs generated from the table."""

from __future__ import annotations

from pathlib import Path

import pytest

import storyline
from storyline.config import SETTINGS, load_settings, settings_markdown
from storyline.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.home == Path("./var")
    assert settings.port == 8000
    assert settings.load_sample is True
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("/var/storyline.db")
    assert (settings.resolved_sample_dir / "wikinews.jsonl").is_file()


def test_precedence_file_then_environment_then_flag(tmp_path: Path) -> None:
    config = tmp_path / "storyline.toml"
    config.write_text('port = 9001\npage_size = 5\nhost = "0.0.0.0"\nload_sample = false\n')
    from_file = load_settings({"home": str(tmp_path)}, environ={})
    assert (from_file.port, from_file.page_size, from_file.host, from_file.load_sample) == (
        9001, 5, "0.0.0.0", False)
    from_env = load_settings({"home": str(tmp_path)}, environ={"STORYLINE_PORT": "9002"})
    assert (from_env.port, from_env.page_size) == (9002, 5)
    from_flag = load_settings({"home": str(tmp_path), "port": "9003"}, environ={"STORYLINE_PORT": "9002"})
    assert from_flag.port == 9003


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("page_size = 7\n")
    assert load_settings(environ={"STORYLINE_CONFIG": str(config)}).page_size == 7


def test_home_from_environment_finds_its_config_file(tmp_path: Path) -> None:
    (tmp_path / "storyline.toml").write_text("page_size = 3\n")
    settings = load_settings(environ={"STORYLINE_HOME": str(tmp_path)})
    assert settings.home == tmp_path
    assert settings.page_size == 3
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'storyline.db').resolve()}"


@pytest.mark.parametrize(
    ("overrides", "environ", "expected"),
    [
        ({"port": "eighty"}, {}, "flag --setting port"),
        ({}, {"STORYLINE_PAGE_SIZE": "0"}, "environment STORYLINE_PAGE_SIZE"),
        ({}, {"STORYLINE_LOAD_SAMPLE": "maybe"}, "expected true or false"),
        ({"colour": "blue"}, {}, "unknown setting 'colour'"),
        ({"log_level": "loud"}, {}, "log_level"),
    ],
)
def test_bad_values_name_the_setting_and_where_it_came_from(
    overrides: dict[str, str], environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(overrides, environ=environ)


def test_bad_config_files(tmp_path: Path) -> None:
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("port = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=bad_toml, environ={})
    nested = tmp_path / "nested.toml"
    nested.write_text("[server]\nport = 3\n")
    with pytest.raises(ConfigError, match="must be a string, number or boolean"):
        load_settings(config_file=nested, environ={})
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(config_file=tmp_path / "missing.toml", environ={})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match=r"unknown.toml \(colour\)"):
        load_settings(config_file=unknown, environ={})


def test_docs_page_is_generated_from_the_table() -> None:
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == settings_markdown(), "regenerate with `make docs`"
    for setting in SETTINGS:
        assert f"`{setting.env_var}`" in page


def test_public_surface() -> None:
    assert sorted(storyline.__all__) == ["Settings", "Storyline", "__version__", "load_settings",
                                         "make_app"]
    assert callable(storyline.make_app)
    with pytest.raises(AttributeError):
        _ = storyline.nothing_here
