"""sdkpi.toml: defaults that command-line options override; bad files name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdkpi.config import Config, load_config, pick
from sdkpi.errors import EXIT_USAGE, UsageError


def _write(folder: Path, text: str) -> Path:
    path = folder / "sdkpi.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_no_defaults(tmp_path: Path) -> None:
    assert load_config(cwd=tmp_path) == Config()


def test_found_in_the_working_folder_with_paths_relative_to_it(tmp_path: Path) -> None:
    _write(
        tmp_path,
        'data = "exports"\nstore = "Store A"\nlang = "zh"\ncurrency = "$"\n'
        'defs = "/abs/kpis.yaml"\nfail_on_miss = true\n',
    )
    config = load_config(cwd=tmp_path)
    assert config.data == (tmp_path / "exports").resolve()
    assert config.defs == Path("/abs/kpis.yaml")
    assert (config.store, config.lang, config.currency, config.fail_on_miss) == ("Store A", "zh", "$", True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('dta = "x"\n', "unknown key 'dta'; did you mean 'data'?"),
        ('lang = "fr"\n', "key 'lang' must be en or zh, not 'fr'"),
        ("fail_on_miss = 1\n", "key 'fail_on_miss' must be true or false, not 1"),
        ("data = 3\n", "key 'data' must be a non-empty text, not 3"),
        ("data = \n", "not a valid TOML file"),
    ],
)
def test_bad_config_names_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_command_line_wins_then_config_then_default() -> None:
    assert pick("cli", "cfg", "default") == "cli"
    assert pick(None, "cfg", "default") == "cfg"
    assert pick(None, None, "default") == "default"
    assert pick(False, True, None) is False  # --no-fail-on-miss beats the file
