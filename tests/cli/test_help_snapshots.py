"""Every command's --help, compared with the text stored in tests/cli/help/<command>.txt, so that a change to
an option's name, metavar or help is seen in review. After a deliberate change, regenerate with
``REPROCHECK_UPDATE_HELP=1 python -m pytest tests/cli/test_help_snapshots.py`` and review the diff."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli

HELP = Path(__file__).parent / "help"
COMMANDS = [
    "",
    "lint",
    "fix",
    "check",
    "smoke",
    "verify",
    "rebuild",
    "record",
    "init",
    "audit",
    "clean",
    "rules",
    "config",
]
WIDTH = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}


def _help(command: str) -> str:
    r = run_cli(*([command] if command else []), "--help", env=WIDTH)
    assert r.code == 0, r.err
    return r.out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_matches_its_snapshot(command: str):
    path = HELP / f"{command or 'reprocheck'}.txt"
    text = _help(command)
    if os.environ.get("REPROCHECK_UPDATE_HELP"):
        path.write_text(text)
    assert path.is_file(), f"no snapshot: run with REPROCHECK_UPDATE_HELP=1 to write {path.name}"
    assert text == path.read_text(), f"`reprocheck {command} --help` changed: regenerate and review {path.name}"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c])
def test_help_is_tidy(command: str):
    text = _help(command)
    assert not re.search(r"--[\w-]+ (<str>|TEXT|PATH|INTEGER)", text)  # every value has a meaningful name
    assert "--no-no-" not in text and " / --no-" not in text  # flags are plain flags
