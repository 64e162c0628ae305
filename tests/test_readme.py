"""README.md runs as written: every Python block on the shared data, every dettrack command
line (and those of docs/evaluation.md, where the README's figures are reproduced) through the
real parser, and its tracking examples through the real command."""

import re
import shlex
from pathlib import Path

import pytest

from dettrack.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
EVALUATION = (ROOT / "docs" / "evaluation.md").read_text()


def _blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def _commands(text: str = README) -> list[str]:
    """The `dettrack ...` command lines of the bash blocks (continuations joined, comments cut)."""
    found = []
    for block in _blocks("bash", text):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("#")[0].split("&&"):
                if part.strip().startswith("dettrack "):
                    found.append(part.strip())
    return found


@pytest.fixture
def at_repository_root(monkeypatch):
    """The examples name the shared data as ../shared/..., relative to the repository root."""
    if not (ROOT.parent / "shared" / "data").is_dir():
        pytest.skip(f"shared data not found next to the repository: {ROOT.parent / 'shared'}")
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_python_blocks_run(index, at_repository_root, capsys):
    code = _blocks("python")[index]
    exec(compile(code, f"README.md python block {index + 1}", "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) >= 3, printed  # every example prints what it found, frame by frame or object by object


def test_the_readme_has_the_examples_it_promises():
    assert len(_blocks("python")) >= 3
    assert "pip install -e '.[dev]' && python -m pytest" in README  # the command .ci/run runs


@pytest.mark.parametrize("command", _commands() + _commands(EVALUATION))
def test_command_lines_parse(command):
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.command == command.split()[1]


def test_the_tracking_examples_run(at_repository_root, tmp_path):
    by_box, by_class = [c for c in _commands() if c.startswith("dettrack track ../shared")]
    out = tmp_path / "out"
    assert main([*shlex.split(by_box)[1:], "--end", "3", "--out", str(out), "--quiet", "--no-overlay"]) == 0
    assert len((out / "0" / "boxes.txt").read_text().splitlines()) == 3
    assert main([*shlex.split(by_class)[1:], "--end", "3", "--out", str(tmp_path / "cars"), "--quiet", "--no-overlay"]) == 0
    assert (tmp_path / "cars" / "1" / "boxes.txt").is_file() and (tmp_path / "cars" / "mot.txt").read_text().startswith("1,1,")
