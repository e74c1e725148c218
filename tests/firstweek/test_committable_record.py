"""Item 6 of issue 26: the environment record `record` writes can be committed: no absolute private paths,
variable values hashed except those the spec or the code reads. Pure function, then a real `record` (no Docker)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from reprocheck.envprobe import load_record
from reprocheck.smoke.committable import names_the_code_reads, reduce_record
from reprocheck.smoke.diagnose import diagnose
from reprocheck.smoke.explain import Explanation
from reprocheck.smoke.record import record
from reprocheck.smoke.spec import load_spec

RAW: dict[str, Any] = {
    "command": ["/home/dev/proj/.venv/bin/python", "predict.py"],
    "cwd": ".",
    "interpreter": {"executable": "/home/dev/proj/.venv/bin/python", "prefix": "/home/dev/proj/.venv"},
    "distributions": {
        "numpy": {"version": "1.26.4", "location": "/home/dev/proj/.venv/lib/python3.11/site-packages"},
        "shared": {"version": "1.0", "location": "/home/dev/.local/lib/python3.11/site-packages"},
        "system": {"version": "2.0", "location": "/usr/lib/python3/dist-packages"},
    },
    "environment": {
        "PATH": "/home/dev/proj/.venv/bin:/usr/bin",
        "HOME": "/home/dev",
        "PWD": "/home/dev/proj",
        "OLDPWD": "/home/dev/src/other",
        "MODEL_DIR": "/home/dev/proj/models",
        "LANG": "C.UTF-8",
        "LC_NUMERIC": "de_DE.UTF-8",
        "OMP_NUM_THREADS": "4",
        "API_TOKEN": "sha256:0123456789abcdef",
    },
}


def test_paths_become_relative_and_values_hashed():
    out = reduce_record(RAW, root="/home/dev/proj", home="/home/dev", keep={"MODEL_DIR"})
    text = json.dumps(out)
    assert "/home/dev" not in text
    assert out["interpreter"] == {"executable": "./.venv/bin/python", "prefix": "./.venv"}
    assert out["command"][0] == "./.venv/bin/python"
    assert out["distributions"]["shared"]["location"] == "~/.local/lib/python3.11/site-packages"
    assert out["distributions"]["system"]["location"] == "/usr/lib/python3/dist-packages"  # not private
    env = out["environment"]
    assert set(env) == set(RAW["environment"])  # every name stays
    for name in ("PATH", "HOME", "PWD", "OLDPWD"):
        assert env[name].startswith("sha256:") and len(env[name]) == 23
    assert env["MODEL_DIR"] == "./models"  # the code reads it: kept, made relative
    assert (env["LANG"], env["LC_NUMERIC"], env["OMP_NUM_THREADS"]) == ("C.UTF-8", "de_DE.UTF-8", "4")
    assert env["API_TOKEN"] == "sha256:0123456789abcdef"  # the probe's hash stays as it is
    assert RAW["environment"]["PATH"].startswith("/home/dev")  # pure: the input is untouched
    assert reduce_record(RAW, root="/home/dev/proj", home="/home/dev", keep={"all"}) == RAW
    # a prefix of a longer name is not a path of the project
    assert reduce_record({"x": "/home/dev/project2/a"}, root="/home/dev/proj", home=None)["x"] == "/home/dev/project2/a"


def test_the_names_the_code_reads(tmp_path: Path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "serve.py").write_text(
        'import os\nPORT = int(os.environ.get("PORT", "8000"))\n'
        "d = os.environ[\"MODEL_DIR\"]\nt = os.getenv('THRESH')\n"
    )
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.py").write_text('os.getenv("NOT_THE_PROJECT")\n')
    assert names_the_code_reads(tmp_path) == {"PORT", "MODEL_DIR", "THRESH"}


def test_a_recorded_file_holds_no_absolute_private_path(make_project, monkeypatch):
    root: Path = make_project(
        {
            "pyproject.toml": (
                f'[tool.reprocheck.smoke]\ncommand = ["{sys.executable}", "predict.py"]\n'
                'golden = "golden/out.json"\nenv = { SPEC_SET = "1" }\nkeep-env = ["TEAM_FLAG"]\n'
            ),
            "predict.py": "import json, os\nos.getenv('MODEL_DIR')\nprint(json.dumps({'p': 0.5}))\n",
            "Dockerfile": "FROM scratch\n",
        }
    )
    home = root.resolve().parent
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MODEL_DIR", str(root.resolve() / "models"))
    monkeypatch.setenv("TEAM_FLAG", "on")
    monkeypatch.setenv("PRIVATE_NOTE", str(home / "notes"))
    monkeypatch.chdir(root)
    monkeypatch.setenv("PWD", str(root.resolve()))
    result = record(load_spec(root / "pyproject.toml", root))
    text = result.env_record.read_text()
    assert str(home) not in text and str(root.resolve()) not in text  # neither the project's path nor home
    env = json.loads(text)["environment"]
    assert env["MODEL_DIR"] == "./models" and env["SPEC_SET"] == "1" and env["TEAM_FLAG"] == "on"
    assert env["PWD"].startswith("sha256:") and env["PRIVATE_NOTE"].startswith("sha256:")
    # the readers take the reduced record: a crash on a variable the host sets names it, without a value
    host = load_record(result.env_record)
    assert host is not None and host["environment"]["PWD"].startswith("sha256:")
    crash = Explanation("missing environment variable", "set it", ("KeyError: 'PRIVATE_NOTE'",), "PRIVATE_NOTE")
    said = diagnose(host, {"environment": {}}, crash=crash)
    assert any("the host sets PRIVATE_NOTE; the container does not" in line for line in said.evidence)
    assert str(home) not in " ".join(said.evidence)
    assert os.environ["HOME"] == str(home)
