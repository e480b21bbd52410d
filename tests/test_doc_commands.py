"""Every command shown in the README, README.zh.md and docs/ runs as written.

Each ```console block is a little session: its lines that start with `$ ` are run in
order by bash, in a scratch folder holding a copy of the shipped `examples/` and
`kpi_definitions.yaml` (so `--data examples/store-demo` works as it does from a clone),
with the installed `sdkpi` on PATH. A command is expected to exit 0, unless its line
ends with a comment `# exit N`. Blocks that only illustrate (a hostile file, someone's
own exports) are ```text blocks and are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", ROOT / "README.zh.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
EXPECT = re.compile(r"#\s*exit\s+(\d+)\s*$")


def _sessions() -> list[tuple[str, list[str]]]:
    found = []
    for doc in DOCS:
        if not doc.is_file():
            continue
        text = doc.read_text(encoding="utf-8")
        for number, block in enumerate(BLOCK.findall(text), 1):
            commands = [line[2:] for line in block.splitlines() if line.startswith("$ ")]
            if commands:
                found.append((f"{doc.relative_to(ROOT)}#{number}", commands))
    return found


SESSIONS = _sessions()


def test_the_docs_show_commands() -> None:
    assert len(SESSIONS) >= 10, SESSIONS
    assert any(name.startswith("README.md") for name, _ in SESSIONS)
    assert any(name.startswith("README.zh.md") for name, _ in SESSIONS)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs-scratch")
    shutil.copytree(ROOT / "examples", folder / "examples")
    shutil.copy(ROOT / "kpi_definitions.yaml", folder / "kpi_definitions.yaml")
    return folder


@pytest.mark.parametrize(("name", "commands"), SESSIONS, ids=[name for name, _ in SESSIONS])
def test_every_documented_command_runs_as_written(name: str, commands: list[str], scratch: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("SDKPI_DEBUG", None)
    for command in commands:
        match = EXPECT.search(command)
        expected = int(match.group(1)) if match else 0
        done = subprocess.run(
            ["bash", "-c", command], cwd=scratch, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == expected, (
            f"{name}: `{command}` exited {done.returncode}, expected {expected}\n"
            f"stdout: {done.stdout[-1500:]}\nstderr: {done.stderr[-1500:]}"
        )
        assert "Traceback" not in done.stderr, f"{name}: `{command}`\n{done.stderr[-2000:]}"
