"""Item 1 of issue 26: a pass says what it proved. The trial's case: a golden recorded under Python 3.9 with
scikit-learn 1.0.1 and numpy 1.22, an image on 3.11 with 1.1.3 and 1.23; and `record` counting the lock's
packages at the locked version, at another version and missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from reprocheck.smoke.drift import environment_drift
from reprocheck.smoke.record import lock_counts
from tests.conftest import run_cli

GOLDEN_ENV = {
    "interpreter": {"version": "3.9.18"},
    "packages": {"scikit-learn": "1.0.1", "numpy": "1.22.0", "joblib": "1.1.0", "flask": "2.0.2"},
    "distributions": {
        "scikit-learn": {"version": "1.0.1"},
        "numpy": {"version": "1.22.0"},
        "joblib": {"version": "1.1.0"},
        "flask": {"version": "2.0.2"},
        "pip": {"version": "21.0"},
    },
    "platform": {"system": "Linux", "libc": "glibc 2.31", "machine": "x86_64"},
}
IMAGE_ENV = {
    "interpreter": {"version": "3.11.7"},
    "distributions": {
        "scikit-learn": {"version": "1.1.3"},
        "numpy": {"version": "1.23.5"},
        "joblib": {"version": "1.1.0"},
        "pip": {"version": "24.0"},
    },
    "platform": {"system": "Linux", "libc": "glibc 2.36", "machine": "aarch64"},
}


def test_a_golden_from_another_python_is_named_with_every_difference():
    lines = environment_drift(GOLDEN_ENV, IMAGE_ENV)
    assert lines == [
        "Python: 3.9.18 (golden) -> 3.11.7 (image)",
        "packages: flask 2.0.2 -> (not installed), numpy 1.22.0 -> 1.23.5, scikit-learn 1.0.1 -> 1.1.3",
        "OS: Linux glibc 2.31 (golden) -> Linux glibc 2.36 (image)",
        "CPU: x86_64 (golden) -> aarch64 (image)",
    ]
    assert environment_drift(IMAGE_ENV, IMAGE_ENV) == []  # the same environment: nothing to say
    patch = {**IMAGE_ENV, "interpreter": {"version": "3.11.2"}}
    assert environment_drift(patch, IMAGE_ENV) == []  # 3.11.2 against 3.11.7: a patch release, not worth a note


def test_record_counts_at_the_locked_version_another_version_and_missing():
    installed = {"numpy": "1.23.5", "scikit-learn": "1.0.1", "joblib": None, "scipy": "1.10.0"}
    locked = {"numpy": "1.22.0", "scikit-learn": "1.0.1", "joblib": "1.1.0", "scipy": None}
    at, other, missing = lock_counts(installed, locked)
    assert at == ["scikit-learn", "scipy"] and other == [("numpy", "1.23.5", "1.22.0")] and missing == ["joblib"]
    assert lock_counts({"a": "1.0"}, {"a": "1.0.0"}) == (["a"], [], [])  # the same version, spelled otherwise


def test_the_record_command_never_calls_a_mismatch_installed(make_project):
    from importlib.metadata import version

    root: Path = make_project(
        {
            "pyproject.toml": (
                f'[tool.reprocheck.smoke]\ncommand = ["{sys.executable}", "predict.py"]\n'
                'golden = "golden/out.json"\nlock = "requirements.txt"\n'
            ),
            "requirements.txt": f"pytest=={version('pytest')}\npluggy==0.0.1\nnot-here-anywhere==1.0\n",
            "predict.py": "print('{\"p\": 1}')\n",
            "Dockerfile": "FROM scratch\n",
        }
    )
    r = run_cli("record", str(root))
    assert r.code == 0, r.err
    assert "1 of 3 locked packages at the locked version" in r.out
    assert "1 at another version: pluggy " in r.out and "(lock: 0.0.1)" in r.out
    assert "1 missing here: not-here-anywhere" in r.out
    assert "installed here" not in r.out
    assert "other package versions than the lock's" in r.err
    record = json.loads((root / "golden" / "out.json.env.json").read_text())
    assert record["packages"]["not-here-anywhere"] is None
