"""The ``entsoe`` group lists its commands without importing them, and lists them as the
commands themselves would; it imports a command with the garbage collector at rest."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from entrypoints.cli import COMMANDS, main
from entrypoints.lazy_group import LazyCommand, LazyGroup


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_lazy_command_is_listed_with_its_own_short_help(name: str) -> None:
    lazy = COMMANDS[name]
    command = lazy.load()

    assert command.name == name
    for limit in (20, 45, 60, 80, 200):
        assert lazy.listed(name).get_short_help_str(limit) == command.get_short_help_str(limit)


def test_help_lists_every_command_and_a_command_runs_after_it() -> None:
    runner = CliRunner()

    listed = runner.invoke(main, ["--help"])
    shown = runner.invoke(main, ["status", "--help"])

    assert listed.exit_code == 0
    names = [line.split()[0] for line in listed.output.split("Commands:")[1].splitlines()[1:]]
    assert names == sorted(names)
    assert set(COMMANDS) <= set(names)
    assert shown.exit_code == 0
    assert "Status of JOB, or of every job that is not finished." in shown.output


def test_an_unknown_command_is_refused_with_its_name() -> None:
    refused = CliRunner().invoke(main, ["stauts"])

    assert refused.exit_code == 2
    assert "No such command 'stauts'" in refused.output


def test_the_collector_rests_while_a_command_is_imported_and_runs_again_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lazy_probe.py").write_text(
        "import gc\nimport click\ncollecting = gc.isenabled()\nprobe = click.Command('probe')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_probe", raising=False)

    command = LazyCommand("lazy_probe", "probe", "Probe.").load()

    assert command.name == "probe"
    assert sys.modules["lazy_probe"].collecting is False
    assert gc.isenabled()


def test_a_name_that_is_no_command_is_refused_with_where_it_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lazy_wrong.py").write_text("probe = 'a string'\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(TypeError, match=r"lazy_wrong\.probe is not a click command"):
        LazyCommand("lazy_wrong", "probe", "Probe.").load()
    assert gc.isenabled()


def test_a_command_added_as_click_adds_it_is_listed_beside_the_lazy_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lazy_said.py").write_text(
        "import click\n"
        "@click.command()\n"
        "def said() -> None:\n"
        "    '''Say it, lazily.'''\n"
        "    click.echo('said lazily')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    group = LazyGroup("probe", lazy={"said": LazyCommand("lazy_said", "said", "Say it, lazily.")})
    group.add_command(click.Command("eager", help="Run at once.", callback=lambda: None))
    runner = CliRunner()

    listed = runner.invoke(group, ["--help"])
    said = runner.invoke(group, ["said"])

    rows = listed.output.split("Commands:")[1].split()
    assert rows == ["eager", "Run", "at", "once.", "said", "Say", "it,", "lazily."]
    assert said.output == "said lazily\n"
