"""Item 3 of issue 26 on the real engine: a spec whose `command` replaces the image's ENTRYPOINT passes (the
command works) and smoke says that it tested another program than the one the image runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, skip_without_engine

pytestmark = pytest.mark.engine


def test_smoke_notes_a_command_that_replaces_the_entrypoint(make_project):
    skip_without_engine()
    root: Path = make_project(
        {
            "Dockerfile": f"FROM {BASE_IMAGE}\nWORKDIR /app\nCOPY predict.py ./\n"
            'ENTRYPOINT ["python3", "-m", "http.server"]\n',
            "predict.py": "print('{\"p\": 0.5}')\n",
            "golden.json": '{"p": 0.5}\n',
            "pyproject.toml": '[tool.reprocheck]\nignore = ["RC102"]\n[tool.reprocheck.smoke]\n'
            'command = ["python3", "predict.py"]\ngolden = "golden.json"\n',
        }
    )
    r = run_cli("smoke", str(root))
    assert r.code == 0, r.out + r.err
    assert (
        "the spec's `command` (`python3 predict.py`) replaces the image's ENTRYPOINT `python3 -m http.server`" in r.out
    ), r.out
