"""The environment record and the diagnosis of failed runs: pure functions over plain data, no Docker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reprocheck.envprobe import launcher, parse, probe_argv, relative_cwd
from reprocheck.evidence import pick_explanatory
from reprocheck.smoke.compare import classify, moving_keys
from reprocheck.smoke.diagnose import FileFacts, diagnose, module_owner, package_differences
from reprocheck.smoke.explain import explain


def record(
    packages: dict[str, str],
    *,
    zone: str = "Etc/UTC",
    offset: int = 0,
    env: dict[str, str] | None = None,
    seed: str | None = None,
    requires: dict[str, list[str]] | None = None,
    modules: dict[str, list[str]] | None = None,
    lang: str | None = None,
    moving: list[str] | None = None,
) -> dict[str, object]:
    return {
        "interpreter": {"version": "3.11.7"},
        "distributions": {
            n: {
                "version": v,
                "installer": "pip",
                "requires": (requires or {}).get(n, []),
                "modules": (modules or {}).get(n, []),
            }
            for n, v in packages.items()
        },
        "timezone": {"zone": zone, "utc_offset_seconds": offset},
        "environment": env or {},
        "hashseed": {"PYTHONHASHSEED": seed},
        "locale": {"LANG": lang} if lang else {},
        "platform": {"cpu_count": 2, "machine": "x86_64"},
        "determinism": {"runs": 2, "deterministic": not moving, "moving": moving or []},
    }


# ---- the probe: one snippet, the interpreter that really runs the command


def _fake_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    script = venv / "bin" / "serve-model"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nprint('serving')\n")
    script.chmod(0o755)
    site = next((venv / "lib").glob("python3*/site-packages"))
    dist = site / "modelkit-2.0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: modelkit\nVersion: 2.0.1\nRequires-Dist: numpy>=1\n")
    (dist / "INSTALLER").write_text("uv\n")
    (dist / "top_level.txt").write_text("modelkit\n")
    return venv


def test_probe_follows_a_console_script_to_its_venv(tmp_path: Path):
    venv = _fake_venv(tmp_path)
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "API_TOKEN": "hunter2",
        "MODE": "fast",
        "DB": "postgres://app:pw123@db/x",
    }
    proc = subprocess.run(
        probe_argv(sys.executable, ("serve-model", "--port", "8000")),
        capture_output=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    doc = parse(proc.stdout)
    assert doc is not None
    assert doc["interpreter"]["executable"] == str(venv / "bin" / "python")
    assert doc["interpreter"]["venv"] is True
    assert "shebang" in doc["interpreter"]["resolved_from"]
    assert doc["distributions"]["modelkit"] == {
        "name": "modelkit",
        "installer": "uv",
        "modules": ["modelkit"],
        "requires": ["numpy"],
        "version": "2.0.1",
        "location": str(next((venv / "lib").glob("python3*/site-packages"))),
        "direct_url": False,
    }
    assert doc["environment"]["MODE"] == "fast"
    assert doc["environment"]["API_TOKEN"].startswith("sha256:") and "hunter2" not in proc.stdout.decode()
    assert doc["environment"]["DB"].startswith("sha256:") and "pw123" not in proc.stdout.decode()
    assert not any(k.startswith("REPROCHECK_PROBE") for k in doc["environment"])
    for key in ("platform", "timezone", "locale", "hashseed", "cwd"):
        assert key in doc
    assert doc["platform"]["cpu_count"] >= 1


def test_probe_finds_files_by_name(tmp_path: Path):
    proc = subprocess.run(probe_argv(sys.executable, ("python",), ("no-such-file-3f1a.bin",)), capture_output=True)
    doc = parse(proc.stdout)
    assert doc is not None and doc["found"] == {}


def test_launcher_and_cwd():
    assert launcher(("python3.11", "x.py")) == "python3.11"
    assert launcher(("/opt/venv/bin/python", "x.py")) == "/opt/venv/bin/python"
    assert launcher(("uvicorn", "app:app")) == "python3"
    assert relative_cwd("/work/p", "/work/p") == "."
    assert relative_cwd("/work/p/sub", "/work/p") == "sub"
    assert relative_cwd("/elsewhere", "/work/p") == "/elsewhere"


# ---- picking the lines that explain


def test_pick_explanatory_keeps_an_early_cause_and_the_end():
    lines = [
        "Step 5/9 : RUN pipenv install --deploy --system",
        "Your Pipfile requires python_version 3.10, but you are using 3.11.2",
        *[f"  frame {i}" for i in range(60)],
        "pipenv.exceptions.DeployException: aborting",
        "done",
    ]
    picked = pick_explanatory(lines, limit=10, tail=2)
    assert picked[0] == lines[1]
    assert picked[-2:] == ["pipenv.exceptions.DeployException: aborting", "done"]
    assert "  frame 10" not in picked


# ---- crash causes from the whole output


NUMPY_ABI = """\
A module that was compiled using NumPy 1.x cannot be run in
NumPy 2.2.6 as it may crash. To support both 1.x and 2.x
versions of NumPy, modules must be compiled with NumPy 2.0.
Traceback (most recent call last):
  File "/app/serve.py", line 3, in <module>
    import fastmodel
ImportError: numpy.core.multiarray failed to import
""" + "\n".join(f"usage line {i}" for i in range(30))


def test_numpy_abi_is_binary_incompatibility_not_missing_module():
    why = explain(1, NUMPY_ABI.encode(), False, False)
    assert why.cause == "binary incompatibility"
    assert any("compiled using NumPy 1.x" in line for line in why.evidence)
    host = record({"numpy": "1.26.4", "fastmodel": "0.3"})
    image = record({"numpy": "2.2.6", "fastmodel": "0.3"})
    d = diagnose(host, image, crash=why)
    assert d.rule.id == "RC802" and "binary incompatibility" in d.cause
    assert "numpy 1.26.4 on the host, 2.2.6 in the image" in "\n".join(d.evidence)
    assert d.details["packages"][0] == {
        "name": "numpy",
        "host": "1.26.4",
        "image": "2.2.6",
        "required_by": [],
        "installer": "pip",
    }


@pytest.mark.parametrize(
    ("stderr", "cause", "subject"),
    [
        ("ImportError: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found", "binary", "GLIBC_2.38"),
        ("ImportError: /app/ext.so: undefined symbol: PyFoo_Bar", "binary", "PyFoo_Bar"),
        ("ImportError: cannot import name 'soft_unicode' from 'markupsafe'", "version conflict", "soft_unicode"),
        ("pkg_resources.ContextualVersionConflict: (idna 3.7, requires idna<3)", "version conflict", None),
        ("OSError: libgomp.so.1: cannot open shared object file: No such file", "shared library", "libgomp.so.1"),
        ("PermissionError: [Errno 13] Permission denied: '/app/cache/x'", "permission denied", "/app/cache/x"),
        ("ModuleNotFoundError: No module named 'sklearn.linear_model'", "module not found", "sklearn"),
    ],
)
def test_crash_causes(stderr: str, cause: str, subject: str | None):
    why = explain(1, f"Traceback (most recent call last):\n{stderr}\n".encode(), False, False)
    assert why.cause.startswith(cause) and why.subject == subject


ENV_TRACE = """\
Traceback (most recent call last):
  File "/app/predict.py", line 4, in <module>
    threshold = float(os.environ["MODEL_THRESHOLD"])
  File "<frozen os>", line 679, in __getitem__
KeyError: 'MODEL_THRESHOLD'
"""


def test_missing_environment_variable_names_it_and_says_the_host_sets_it():
    why = explain(1, ENV_TRACE.encode(), False, False)
    assert (why.cause, why.subject) == ("missing environment variable", "MODEL_THRESHOLD")
    d = diagnose(record({}, env={"MODEL_THRESHOLD": "0.7"}), record({}), crash=why)
    assert d.cause == "missing environment variable MODEL_THRESHOLD"
    assert "the host sets MODEL_THRESHOLD (= 0.7); the container does not" in d.evidence
    assert d.details["host_sets_it"] is True
    # a KeyError from a plain dict is not a variable
    plain = explain(1, b"Traceback (most recent call last):\n  File 'a.py'\nKeyError: 'LABEL'\n", False, False)
    assert plain.cause == "crash"


def test_missing_module_says_whether_the_host_has_it():
    why = explain(1, b"ModuleNotFoundError: No module named 'sklearn'", False, False)
    host = record({"scikit-learn": "1.4.2"}, modules={"scikit-learn": ["sklearn"]})
    d = diagnose(host, record({"numpy": "1.26.4"}), crash=why)
    assert d.cause == "module not found: sklearn"
    assert "the host has it: scikit-learn 1.4.2 provides `sklearn`" in d.evidence
    assert "scikit-learn==1.4.2" in d.hint
    assert module_owner("yaml", record({"pyyaml": "6.0"})) == ("pyyaml", "6.0")


def test_file_not_found_under_another_workdir_and_dockerignored():
    why = explain(1, b"FileNotFoundError: [Errno 2] No such file or directory: 'weights.json'", False, False)
    assert why.subject == "weights.json"
    moved = diagnose(None, None, crash=why, file=FileFacts("weights.json", "/srv", True, None, ("/app/weights.json",)))
    assert "/app/weights.json" in moved.evidence[0] and "/srv" in moved.evidence[0]
    assert "WORKDIR" in moved.hint
    ignored = diagnose(None, None, crash=why, file=FileFacts("weights.json", "/app", True, (2, "*.json"), ()))
    assert ".dockerignore line 2 (`*.json`)" in ignored.evidence[0]
    assert ignored.details["file"]["ignored_by"] == {"line": 2, "pattern": "*.json"}


# ---- mismatches: what kind of difference, and why


def test_floating_transitive_dependency_is_named_with_both_versions_and_who_requires_it():
    host = record({"mylib": "1.0", "featurekit": "1.0.0"}, requires={"mylib": ["featurekit"]})
    image = record({"mylib": "1.0", "featurekit": "1.1.0"}, requires={"mylib": ["featurekit"]})
    d = diagnose(host, image, golden=b'{"p": [0.1]}', output=b'{"p": [0.3]}', differing=["$.p[0]"])
    assert d.rule.id == "RC805" and d.cause == "package versions differ"
    assert "featurekit 1.0.0 on the host, 1.1.0 in the image (installed by pip; required by mylib)" in "\n".join(
        d.evidence
    )


def test_whole_hours_with_other_timezones():
    golden = json.dumps({"hour": "2026-01-01T09:00:00", "ts": 1767254400}).encode()
    output = json.dumps({"hour": "2026-01-01T08:00:00", "ts": 1767250800}).encode()
    d = diagnose(
        record({}, zone="Europe/Berlin", offset=3600), record({}), golden=golden, output=output, differing=["$.hour"]
    )
    assert d.cause == "timezone"
    assert "timezone: Europe/Berlin (UTC+01:00) on the host, Etc/UTC (UTC+00:00) in the image" in d.evidence
    assert "-1 h" in d.evidence[0]


def test_same_values_in_another_order():
    d = diagnose(
        record({}),
        record({}),
        golden=b'{"labels": ["a", "b", "c"], "n": 3}',
        output=b'{"labels": ["c", "a", "b"], "n": 3}',
        differing=["$.labels[0]"],
    )
    assert d.cause == "same values in another order" and "PYTHONHASHSEED" in d.hint
    assert "$.labels: same values in another order" in d.evidence
    assert classify(b"b\na\n", b"a\nb\n", "text")[0].kind == "reordered"


def test_float_drift_vs_real_difference_and_locale():
    a = json.dumps({"x": [0.1 + 0.2, 1.0]}).encode()
    b = json.dumps({"x": [0.3, 1.0]}).encode()
    assert [p.kind for p in classify(a, b, "json")] == ["float-drift"]
    assert classify(a, json.dumps({"x": [0.31, 1.0]}).encode(), "json") == ()
    loc = classify(b'{"price": "1,234.50"}', b'{"price": "1.234,50"}', "json")
    assert [p.kind for p in loc] == ["locale-format"]
    d = diagnose(
        record({}, lang="de_DE.UTF-8"),
        record({}),
        golden=b'{"price": "1,234.50"}',
        output=b'{"price": "1.234,50"}',
        differing=["$.price"],
    )
    assert d.cause == "locale-dependent formatting" and "LANG=de_DE.UTF-8" in d.evidence[1]


def test_keys_that_moved_on_the_host_are_not_blamed_on_the_container():
    host = record({}, moving=["$.draw[*]"])
    d = diagnose(host, record({}), golden=b'{"draw": [1]}', output=b'{"draw": [2]}', differing=["$.draw[0]"])
    assert d.rule.id == "RC808"
    other = diagnose(host, record({}), golden=b'{"x": 1}', output=b'{"x": 2}', differing=["$.x"])
    assert other.rule.id == "RC805"


def test_moving_keys_between_two_runs():
    assert moving_keys(b'{"a": [1, 2], "b": 1}', b'{"a": [1, 3], "b": 1}', "json") == ["$.a[*]"]
    assert moving_keys(b'{"a": 1.0}', b'{"a": 1.0000001}', "json") == ["$.a"]
    from reprocheck.smoke.spec import Tolerance

    assert moving_keys(b'{"a": 1.0}', b'{"a": 1.0000001}', "json", Tolerance(rtol=1e-6)) == []
    assert moving_keys(b"x\n", b"x\n", "exact") == []


def test_package_differences_order_and_tooling_last():
    diffs = package_differences(
        record({"pip": "23.0", "numpy": "1.0", "ruff": "0.1"}), record({"pip": "24.0", "numpy": "2.0", "extra": "1"})
    )
    assert [d.name for d in diffs] == ["numpy", "extra", "ruff", "pip"]
    assert package_differences(None, record({})) == []


def test_records_from_an_image_are_cleaned_before_use():
    """An image's stdout is not trusted: wrong types are dropped, the diagnosis still works."""
    hostile = {
        "distributions": {"numpy": {"version": 2, "modules": 7, "requires": "abc"}, "x": "y", "ok": {"version": "1"}},
        "timezone": {"zone": ["list"], "utc_offset_seconds": "3600"},
        "environment": {"A": {"nested": 1}, "B": "b"},
        "found": {"w.json": "not a list"},
        "determinism": {"moving": "x"},
        "surprise": object.__name__,
    }
    doc = parse(json.dumps(hostile))
    assert doc is not None and "surprise" not in doc
    common = {"installer": "", "requires": [], "modules": [], "location": "", "direct_url": False}
    assert doc["distributions"] == {
        "numpy": {**common, "version": "", "name": "numpy"},
        "ok": {**common, "version": "1", "name": "ok"},
    }
    assert doc["environment"] == {"B": "b"} and doc["determinism"]["moving"] == []
    why = explain(1, b"ModuleNotFoundError: No module named 'numpy'", False, False)
    assert diagnose(doc, doc, crash=why).rule.id == "RC802"


def test_probe_follows_uv_run_to_the_projects_venv(tmp_path: Path):
    venv = _fake_venv(tmp_path)
    (tmp_path / ".venv").symlink_to(venv)
    proc = subprocess.run(
        probe_argv(sys.executable, ("uv", "run", "--frozen", "python", "predict.py")),
        capture_output=True,
        cwd=tmp_path,
        check=True,
    )
    doc = parse(proc.stdout)
    assert doc is not None and doc["interpreter"]["resolved_from"] == "the project's .venv (`uv run`)"
    assert "modelkit" in doc["distributions"]


def test_a_build_failure_quotes_the_early_line_that_explains_it(tmp_path: Path):
    from reprocheck.backend.base import BuildResult
    from reprocheck.runtime.build import build_finding

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11\nCOPY Pipfile* ./\nRUN pipenv install --deploy --system\n")
    log = (
        "Step 3/3 : RUN pipenv install --deploy --system",
        "Loading .env environment variables...",
        "Warning: Your Pipfile requires python_version 3.10, but you are using 3.11.2 (/usr/local/bin/python).",
        *[f'  File "/usr/lib/python3/pipenv/routines/install.py", line {i}, in do_install' for i in range(40)],
        "pipenv.exceptions.DeployException: aborting deploy",
    )
    result = BuildResult(False, None, "t", "classic", 1.0, "Step 3/3 : RUN pipenv install", "exit 1", log)
    finding = build_finding(result, dockerfile)
    assert finding.location.line == 3
    assert "Your Pipfile requires python_version 3.10, but you are using 3.11.2" in (finding.hint or "")
    assert "DeployException: aborting deploy" in (finding.hint or "")
