"""verify's pure parts: reading what an image holds, and judging it against the Dockerfile and its locks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reprocheck.model.build import ImageSource
from reprocheck.verify.match import judge_base_digest, python_fits, same_version, verify
from reprocheck.verify.probe import (
    APK_INSTALLED,
    DPKG_STATUS,
    Dist,
    Inventory,
    inventory,
    parse_apk_installed,
    parse_dpkg_status,
    parse_probe,
)
from reprocheck.verify.runner import load_expectation
from reprocheck.verify.spec import VerifySpec, parse_verify

DPKG = """Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u9
Description: GNU C Library
 multi-line description

Package: curl
Status: deinstall ok config-files
Version: 7.88.1-10+deb12u5

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2025b-0+deb12u1
"""

APK = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:curl\nV:8.5.0-r0\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # paths are shown relative to the working directory


def _inv(python: str | None = "3.11.9", user: str = "10001", os_packages=None, **dists: str) -> Inventory:
    return Inventory(
        python=python,
        python_command="python3",
        markers={"python_version": "3.11", "sys_platform": "linux", "platform_machine": "x86_64"},
        dists=tuple(Dist(name.replace("_", "-"), version, "/opt/venv/lib") for name, version in dists.items()),
        os_manager="dpkg" if os_packages is not None else None,
        os_packages=os_packages or {},
        user=user,
    )


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _expect(tmp_path: Path, files: dict[str, str], spec: VerifySpec | None = None, target: str | None = None):
    root = _project(tmp_path, files)
    return load_expectation(ImageSource("p", root, root / "Dockerfile", target), spec or VerifySpec())


def _rules(findings) -> list[tuple[str, str, int]]:
    return [(f.rule, Path(f.location.path).name, f.location.line) for f in findings]


# ---- reading the image


def test_dpkg_status_keeps_installed_packages_only():
    assert parse_dpkg_status(DPKG) == {
        "libc6": "2.36-9+deb12u9",
        "libc6:amd64": "2.36-9+deb12u9",
        "tzdata": "2025b-0+deb12u1",
    }


def test_apk_database():
    assert parse_apk_installed(APK) == {"musl": "1.2.4-r2", "curl": "8.5.0-r0"}


def test_probe_output_is_found_after_other_output():
    doc, error = parse_probe(b'warning: something\n{"python": "3.11.2", "dists": []}\n')
    assert doc == {"python": "3.11.2", "dists": []} and error is None
    assert parse_probe(b"Traceback...\n")[0] is None


def test_inventory_keeps_the_first_copy_on_sys_path():
    doc = {
        "python": "3.11.2",
        "dists": [
            {"name": "numpy", "version": "1.26.4", "location": "/opt/venv/lib"},
            {"name": "NumPy", "version": "1.24.2", "location": "/usr/lib/python3/dist-packages"},
        ],
        "markers": {"sys_platform": "linux"},
    }
    inv = inventory(doc, "python3", {APK_INSTALLED: APK.encode()}, user="")
    assert [(d.name, d.version) for d in inv.dists] == [("numpy", "1.26.4")]
    assert [(d.name, d.version) for d in inv.shadowed] == [("NumPy", "1.24.2")]
    assert inv.os_manager == "apk" and inv.os_packages["curl"] == "8.5.0-r0"
    none = inventory(None, None, {DPKG_STATUS: DPKG.encode()}, python_error="python3: not found")
    assert none.python is None and none.os_manager == "dpkg" and none.python_error == "python3: not found"


# ---- judging


LOCK = "numpy==1.26.4\nscipy==1.13.1 ; python_version < '3.9'\njoblib==1.4.2\n"
DOCKERFILE = (
    "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    "RUN pip install six==1.16.0 joblib==1.5.0\nUSER 10001\n"
)


def test_missing_unexpected_and_other_versions_name_package_versions_and_lines(tmp_path):
    exp = _expect(tmp_path, {"requirements.txt": LOCK, "Dockerfile": DOCKERFILE})
    verdict = verify(exp, _inv(numpy="1.26.4", joblib="1.5.0", six="1.16.0", pip="24.0"))
    assert _rules(verdict.findings) == [
        ("RC812", "requirements.txt", 3),  # joblib 1.5.0 in the image, 1.4.2 locked
        ("RC811", "Dockerfile", 5),  # six: installed by line 5, not in the lock
    ]
    mismatch, extra = verdict.findings
    assert "`joblib` is 1.5.0 in the image but 1.4.2 in requirements.txt" in mismatch.message
    assert "Dockerfile:5" in (mismatch.hint or "")
    assert "`six` 1.16.0 is in the image but not in requirements.txt" in extra.message
    # scipy only applies below Python 3.9: not required here; pip is not judged unless locked
    missing = verify(exp, _inv(joblib="1.4.2"))
    assert _rules(missing.findings) == [("RC810", "requirements.txt", 1)]
    assert "`numpy` 1.26.4 is in requirements.txt but not installed" in missing.findings[0].message


def test_equal_versions_in_other_spellings_match(tmp_path):
    assert same_version("1.0", "1.0.0") and not same_version("1.0", "1.0.1") and same_version("abc", "abc")
    exp = _expect(tmp_path, {"requirements.txt": "torch==2.3.0\n", "Dockerfile": DOCKERFILE})
    assert not [f for f in verify(exp, _inv(torch="2.3")).findings if f.rule == "RC812"]


def test_unexpected_package_without_a_dockerfile_line_points_at_the_base(tmp_path):
    exp = _expect(tmp_path, {"requirements.txt": "numpy==1.26.4\n", "Dockerfile": DOCKERFILE})
    (finding,) = [f for f in verify(exp, _inv(numpy="1.26.4", pillow="10.0.0")).findings if f.rule == "RC811"]
    assert finding.location.line == 1 and "base image" in (finding.hint or "")


def test_python_version_against_the_lock_header(tmp_path):
    lock = "# This file is autogenerated by pip-compile with Python 3.10\n# by the following command:\nnumpy==1.26.4\n"
    exp = _expect(tmp_path, {"requirements.txt": lock, "Dockerfile": DOCKERFILE})
    findings = verify(exp, _inv(numpy="1.26.4")).findings
    assert _rules(findings) == [("RC813", "requirements.txt", 1)]
    assert "Python 3.11.9" in findings[0].message and "Python 3.10" in findings[0].message
    assert python_fits("3.11", "3.11.9") and not python_fits("3.1", "3.11.0")
    assert python_fits(">=3.10,<3.13", "3.12.1") and not python_fits(">=3.12", "3.11.9")


def test_os_pins_against_the_package_database(tmp_path):
    dockerfile = (
        "FROM debian:bookworm\nRUN apt-get install -y curl=7.88.1-10+deb12u5 tzdata=2025b-0+deb12u1 git\nUSER 1\n"
    )
    exp = _expect(tmp_path, {"Dockerfile": dockerfile})
    os_packages = {"curl": "7.88.1-10+deb12u8", "tzdata": "2025b-0+deb12u1", "git": "1:2.39.5-0+deb12u2"}
    findings = verify(exp, _inv(os_packages=os_packages)).findings
    assert _rules(findings) == [("RC814", "Dockerfile", 2)]
    assert "pins `curl=7.88.1-10+deb12u5` but 7.88.1-10+deb12u8 is installed" in findings[0].message
    gone = verify(exp, _inv(os_packages={"tzdata": "2025b-0+deb12u1"})).findings
    assert "it is not installed" in gone[0].message
    assert verify(exp, _inv(os_packages=None)).findings == ()  # no package database: nothing to judge


@pytest.mark.parametrize(
    ("dockerfile", "user", "line"),
    [
        ("FROM python:3.11\nRUN true\n", "", 1),
        ("FROM python:3.11 AS base\nUSER app\nFROM base\nUSER root\n", "root", 4),
        ("FROM python:3.11\nUSER 0:0\n", "0:0", 2),
    ],
)
def test_root_user(tmp_path, dockerfile, user, line):
    exp = _expect(tmp_path, {"Dockerfile": dockerfile})
    (finding,) = verify(exp, _inv(user=user)).findings
    assert finding.rule == "RC815" and finding.location.line == line


def test_a_user_set_by_the_base_image_is_not_root(tmp_path):
    exp = _expect(tmp_path, {"Dockerfile": "FROM nvcr.io/nvidia/tritonserver:24.01-py3\n"})
    assert verify(exp, _inv(user="triton-server")).findings == ()


def test_only_stages_that_reach_the_image_count(tmp_path):
    dockerfile = (
        "FROM python:3.11 AS test\nCOPY requirements-dev.txt .\nRUN pip install -r requirements-dev.txt\n"
        "FROM python:3.11 AS build\nCOPY requirements.txt .\nRUN pip install --prefix /install -r requirements.txt\n"
        "FROM python:3.11-slim\nCOPY --from=build /install /usr/local\nUSER 10001\n"
    )
    files = {"Dockerfile": dockerfile, "requirements.txt": "numpy==1.26.4\n", "requirements-dev.txt": "pytest==8.2.0\n"}
    exp = _expect(tmp_path, files)
    assert exp.locks == ("requirements.txt",)
    assert verify(exp, _inv(numpy="1.26.4")).findings == ()
    test_stage = _expect(tmp_path, files, target="test")
    assert test_stage.locks == ("requirements-dev.txt",)


def test_constraints_allow_but_do_not_require(tmp_path):
    dockerfile = "FROM python:3.11\nCOPY . .\nRUN pip install -c constraints.txt -r requirements.txt\nUSER 1\n"
    files = {
        "Dockerfile": dockerfile,
        "requirements.txt": "numpy==1.26.4\n",
        "constraints.txt": "numpy==1.26.4\nurllib3==2.2.1\n",
    }
    exp = _expect(tmp_path, files)
    assert verify(exp, _inv(numpy="1.26.4")).findings == ()
    (finding,) = verify(exp, _inv(numpy="1.26.4", urllib3="2.0.0")).findings
    assert finding.rule == "RC812" and "constraints.txt" in finding.message


UV_LOCK = """version = 1
requires-python = ">=3.10"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "numpy" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "http://127.0.0.1:8765/simple" }

[[package]]
name = "pytest"
version = "8.2.0"
source = { registry = "http://127.0.0.1:8765/simple" }
"""

PYPROJECT = '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = ["numpy"]\n'


def test_uv_lock_requires_main_dependencies_and_allows_dev_ones(tmp_path):
    dockerfile = (
        "FROM python:3.12\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-dev\nUSER 1\n"
    )
    exp = _expect(tmp_path, {"Dockerfile": dockerfile, "uv.lock": UV_LOCK, "pyproject.toml": PYPROJECT})
    assert exp.locks == ("uv.lock",) and exp.python == ">=3.10"
    assert verify(exp, _inv(numpy="1.26.4")).findings == ()
    assert verify(exp, _inv(numpy="1.26.4", pytest="8.2.0", app="0.1.0")).findings == ()
    (missing,) = verify(exp, _inv(pytest="8.2.0")).findings
    assert missing.rule == "RC810" and "numpy" in missing.message


def test_lock_from_the_config_replaces_the_dockerfiles(tmp_path):
    root = _project(tmp_path, {"Dockerfile": "FROM python:3.11\nUSER 1\n", "locks/prod.txt": "numpy==1.26.4\n"})
    spec = parse_verify({"lock": "locks/prod.txt", "ignore": ["pip"]}, root, "pyproject.toml")
    exp = load_expectation(ImageSource("p", root, root / "Dockerfile"), spec)
    assert [Path(p).name for p in exp.locks] == ["prod.txt"]
    assert _rules(verify(exp, _inv(numpy="1.26.3"), spec.ignore).findings)[0][0] == "RC812"


def test_verify_config_errors_name_the_key_and_line(tmp_path):
    from reprocheck.errors import ConfigError

    text = "[tool.reprocheck.verify]\nlock = 'missing.txt'\n"
    with pytest.raises(ConfigError) as err:
        parse_verify({"lock": "missing.txt"}, tmp_path, "pyproject.toml", text)
    assert err.value.line == 2 and "missing.txt" in str(err.value)
    with pytest.raises(ConfigError, match="unknown key"):
        parse_verify({"lokc": "x"}, tmp_path, "pyproject.toml", text)


def test_base_digest_judgement():
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    assert judge_base_digest("r/x:1", a, a, set(), "Dockerfile", 1) is None
    moved = judge_base_digest("r/x:1", a, b, set(), "Dockerfile", 1)
    assert moved is not None and "now points to" in moved.message
    assert judge_base_digest("r/x:1", None, b, {b}, "Dockerfile", 1) is None
    assert judge_base_digest("r/x:1", None, b, set(), "Dockerfile", 1) is None  # never pushed: unknown
    stale = judge_base_digest("r/x:1", None, b, {a}, "Dockerfile", 3)
    assert stale is not None and stale.location.line == 3 and f"FROM r/x:1@{b}" in (stale.hint or "")


def test_probe_snippet_runs_under_this_interpreter():
    """The snippet that runs in images is plain Python: run it here and read its output back."""
    import subprocess
    import sys

    from reprocheck.verify.probe import SNIPPET

    out = subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, check=True, timeout=60).stdout
    doc: Any
    doc, _ = parse_probe(out)
    assert doc is not None
    inv = inventory(doc, sys.executable, {})
    assert "packaging" in {d.name.lower() for d in inv.dists} and inv.markers["sys_platform"] == sys.platform
    assert inv.python == ".".join(map(str, sys.version_info[:3]))
    assert json.loads(out)["interpreter"]["version"] == inv.python  # the same probe as smoke's record


UV_LOCK_MARKERS = """version = 1
requires-python = ">=3.10"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "click" }, { name = "tomli", marker = "python_full_version < '3.11'" }]

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "http://127.0.0.1:8765/simple" }
dependencies = [{ name = "colorama", marker = "sys_platform == 'win32'" }]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "http://127.0.0.1:8765/simple" }

[[package]]
name = "tomli"
version = "2.0.1"
source = { registry = "http://127.0.0.1:8765/simple" }
"""


def test_uv_lock_edge_markers_are_evaluated_for_the_image(tmp_path):
    """colorama is locked only for Windows (through click): not RC810 in a Linux image."""
    dockerfile = "FROM python:3.11\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen\nUSER 1\n"
    pyproject = PYPROJECT.replace('["numpy"]', '["click"]')
    exp = _expect(tmp_path, {"Dockerfile": dockerfile, "uv.lock": UV_LOCK_MARKERS, "pyproject.toml": pyproject})
    assert verify(exp, _inv(click="8.1.7")).findings == ()
    (colorama,) = exp.entries["colorama"]
    assert colorama.marker == "(sys_platform == 'win32')"
    windows = Inventory(
        python="3.11.9",
        python_command="python",
        markers={"python_version": "3.11", "python_full_version": "3.11.9", "sys_platform": "win32"},
        dists=(Dist("click", "8.1.7"),),
        user="app",
    )
    (missing,) = verify(exp, windows).findings
    assert missing.rule == "RC810" and "colorama" in missing.message
    old_python = Inventory(
        python="3.10.14",
        python_command="python",
        markers={"python_version": "3.10", "python_full_version": "3.10.14", "sys_platform": "linux"},
        dists=(Dist("click", "8.1.7"),),
        user="app",
    )
    assert [f.rule for f in verify(exp, old_python).findings] == ["RC810"]  # tomli, for Python < 3.11


POETRY_LOCK_MARKERS = """[[package]]
name = "click"
version = "8.1.7"
description = ""
optional = false
python-versions = ">=3.7"
files = []

[package.dependencies]
colorama = {version = "*", markers = "platform_system == \\"Windows\\""}

[[package]]
name = "colorama"
version = "0.4.6"
description = ""
optional = false
python-versions = ">=3.7"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "0"
"""


def test_poetry_lock_edge_markers_are_evaluated_for_the_image(tmp_path):
    dockerfile = "FROM python:3.11\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\nRUN poetry install\nUSER 1\n"
    pyproject = (
        '[tool.poetry]\nname = "app"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.11"\nclick = "*"\n'
    )
    exp = _expect(tmp_path, {"Dockerfile": dockerfile, "poetry.lock": POETRY_LOCK_MARKERS, "pyproject.toml": pyproject})
    inv = Inventory(
        python="3.11.9",
        python_command="python3",
        markers={"python_version": "3.11", "sys_platform": "linux", "platform_system": "Linux"},
        dists=(Dist("click", "8.1.7"),),
        user="app",
    )
    assert exp.locks == ("poetry.lock",) and "colorama" in exp.entries
    assert verify(exp, inv).findings == ()


def test_packages_a_tool_pulls_in_are_attributed_to_its_install_line(tmp_path):
    """`pip install pipenv` on line 4 brings virtualenv and its own dependencies: not the FROM line's fault."""
    dockerfile = (
        "FROM python:3.11\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "RUN pip install pipenv==2024.0.1\nUSER 1\n"
    )
    exp = _expect(tmp_path, {"Dockerfile": dockerfile, "requirements.txt": "numpy==1.26.4\n"})
    inv = Inventory(
        python="3.11.9",
        python_command="python3",
        markers={"python_version": "3.11", "sys_platform": "linux"},
        dists=(
            Dist("numpy", "1.26.4"),
            Dist("pipenv", "2024.0.1", requires=("certifi", "virtualenv>=20.24.2", "setuptools>=67")),
            Dist("virtualenv", "20.26.3", requires=("distlib<1,>=0.3.7", "filelock", "platformdirs")),
            Dist("distlib", "0.3.8"),
            Dist("certifi", "2024.7.4"),
            Dist("orphan", "1.0"),
        ),
        user="1",
    )
    found = {f.message.split("`")[1]: f for f in verify(exp, inv).findings}
    assert {n: f.location.line for n, f in found.items()} == {
        "pipenv": 4,
        "virtualenv": 4,
        "distlib": 4,
        "certifi": 4,
        "orphan": 1,
    }
    assert (
        "pulled in by Dockerfile:4 `pip install pipenv==2024.0.1` as a dependency (pipenv -> virtualenv -> distlib)"
        in (found["distlib"].hint or "")
    )
    assert "no line of the Dockerfile names it" in (found["orphan"].hint or "")


def test_a_lock_package_replaced_by_a_later_install_names_that_line(tmp_path):
    dockerfile = (
        "FROM python:3.11\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "RUN pip install fasttool==3.0\nUSER 1\n"
    )
    exp = _expect(tmp_path, {"Dockerfile": dockerfile, "requirements.txt": "numpy==1.26.4\n"})
    inv = Inventory(
        python="3.11.9",
        python_command="python3",
        markers={"python_version": "3.11"},
        dists=(Dist("numpy", "2.0.1"), Dist("fasttool", "3.0", requires=("numpy>=2",))),
        user="1",
    )
    replaced = next(f for f in verify(exp, inv).findings if f.rule == "RC812")
    assert "Dockerfile:4 `pip install fasttool==3.0` replaced it: it requires it (fasttool -> numpy)" in (
        replaced.hint or ""
    )


def test_inventory_reads_the_shared_environment_probe():
    doc = {
        "interpreter": {"version": "3.11.9", "implementation": "cpython"},
        "markers": {"sys_platform": "linux"},
        "distributions": {
            "scikit-learn": {"name": "scikit_learn", "version": "1.4.2", "location": "/opt/venv", "requires": ["numpy"]}
        },
        "shadowed": [{"name": "scikit-learn", "version": "1.3.0", "location": "/usr/lib/python3/dist-packages"}],
    }
    inv = inventory(doc, "python3", {})
    assert inv.python == "3.11.9" and inv.markers == {"sys_platform": "linux"}
    assert [(d.name, d.version, d.requires) for d in inv.dists] == [("scikit_learn", "1.4.2", ("numpy",))]
    assert [(d.version, d.location) for d in inv.shadowed] == [("1.3.0", "/usr/lib/python3/dist-packages")]


@pytest.mark.parametrize(
    ("user", "passwd"), [("00", None), ("+0", None), ("-0:0", None), ("admin", b"admin:x:0:0::/:/bin/sh\n")]
)
def test_root_by_another_spelling_is_root(tmp_path, user: str, passwd: bytes | None):
    """Issue 24 fault 8: the image's user as the runtime reads it (a name through the image's passwd)."""
    from dataclasses import replace

    from reprocheck.verify.probe import PASSWD, inventory

    exp = _expect(tmp_path, {"Dockerfile": f"FROM python:3.11\nUSER {user}\n"})
    read = inventory(None, None, {PASSWD: passwd} if passwd else {}, user=user)
    (finding,) = verify(exp, replace(_inv(user=user), user_root=read.user_root)).findings
    assert finding.rule == "RC815" and finding.location.line == 2
    if passwd:
        assert verify(exp, _inv(user=user)).findings == ()  # without the image's passwd a name is not root
