"""The differential diagnosis without Docker (issue 25): the message parser, the resources a failure names,
the probe's facts on this machine, and each fact source over the two sides' facts."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reprocheck.envprobe import clean, parse, probe_argv
from reprocheck.smoke.diagnose import NO_FACT, Probed, diagnose
from reprocheck.smoke.differential import (
    FACT_SOURCES,
    INFERRED,
    OBSERVED,
    Cause,
    Evidence,
    Resources,
    extract,
    gather,
    rank,
    register,
)
from reprocheck.smoke.explain import explain

# ---- the message parser


@pytest.mark.parametrize(
    ("stderr", "subject"),
    [
        ("ModuleNotFoundError: No module named 'churnscore'", "churnscore"),
        ('ImportError: No module named "churnscore.core"', "churnscore"),
        ("ImportError: No module named churnscore.core", "churnscore"),
        ("ERROR: Error loading ASGI app (ModuleNotFoundError: No module named 'churnscore')", "churnscore"),
        ("E   ModuleNotFoundError: No module named 'sklearn.linear_model'", "sklearn"),
    ],
)
def test_no_module_named_in_every_quoting_form(stderr: str, subject: str) -> None:
    why = explain(1, stderr.encode(), False, False)
    assert (why.cause, why.subject) == ("module not found", subject)


@pytest.mark.parametrize(
    ("stderr", "cause", "subject"),
    [
        (
            'File "/usr/lib/python3.11/subprocess.py", line 1950, in _execute_child\n'
            "FileNotFoundError: [Errno 2] No such file or directory: 'git'",
            "executable not found",
            "git",
        ),
        ("FileNotFoundError: [Errno 2] No such file or directory: 'weights.json'", "file not found", "weights.json"),
        ("sh: 1: tesseract: not found", "executable not found", "tesseract"),
        ("/bin/sh: line 1: ffmpeg: command not found", "executable not found", "ffmpeg"),
        ("/usr/bin/env: ‘python’: No such file or directory", "interpreter not found", "python"),
        ("/usr/bin/env: 'python': No such file or directory", "interpreter not found", "python"),
        ("KeyError: 'getpwuid(): uid not found: 10001'", "unknown user", "10001"),
        (
            "OSError: libGL.so.1: cannot open shared object file: No such file or directory",
            "shared library missing",
            "libGL.so.1",
        ),
    ],
)
def test_the_recognisers_name_their_subject(stderr: str, cause: str, subject: str) -> None:
    why = explain(1, stderr.encode(), False, False)
    assert (why.cause, why.subject) == (cause, subject)


# ---- 1. extract


def test_extract_takes_the_subject_the_quoted_lines_and_the_script() -> None:
    why = explain(
        1,
        b'Traceback (most recent call last):\n  File "/app/predict.py", line 1, in <module>\n'
        b"    import cv2\nImportError: libGL.so.1: cannot open shared object file: No such file or directory\n",
        False,
        False,
    )
    res = extract(why, ("python3", "predict.py"))
    assert res.libraries == ("libGL.so.1",) and res.scripts == ()
    shebang = explain(127, b"/usr/bin/env: 'python': No such file or directory\n", False, False)
    res = extract(shebang, ("./predict",))
    assert res.scripts == ("./predict",) and res.executables == ("python", "python3")
    assert res.request() == {"executables": ["python", "python3"], "scripts": ["./predict"]}
    assert not extract(None, ("python3", "predict.py"))


# ---- 2. the probe's facts, on this machine


def _probe(tmp_path: Path, request: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(
        probe_argv(sys.executable, (), facts=request),
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=120,
        check=False,
    )
    doc = parse(proc.stdout)
    assert doc is not None, proc.stderr[-2000:]
    facts: dict[str, Any] = doc["facts"]
    return facts


def test_the_probe_looks_each_resource_up(tmp_path: Path) -> None:
    model = tmp_path / "model" / "churn.json"
    model.parent.mkdir()
    model.write_text('{"w": 1}')
    model.chmod(0o600)
    script = tmp_path / "predict"
    script.write_text("#!/usr/bin/env no-such-interpreter-xyz\nprint(1)\n")
    script.chmod(0o755)
    facts = _probe(
        tmp_path,
        {
            "paths": ["model/churn.json", "model/absent.json"],
            "executables": ["sh", "no-such-program-xyz"],
            "libraries": ["libc.so.6", "libno-such-xyz.so.1"],
            "scripts": ["./predict"],
            "env": ["CHURN_VARIANT", "MY_API_TOKEN", "UNSET_XYZ"],
            "uids": [str(os.getuid()), "4000000"],
            "modules": ["json", "no_such_module_xyz"],
        },
        {"CHURN_VARIANT": "large", "MY_API_TOKEN": "s3cret"},
    )
    f = facts["paths"]["model/churn.json"]
    assert (f["exists"], f["type"], f["mode"], f["uid"]) == (True, "file", "0600", os.getuid())
    assert f["sha256"] == hashlib.sha256(b'{"w": 1}').hexdigest()
    absent = facts["paths"]["model/absent.json"]
    assert absent["exists"] is False and absent["parent_exists"] is True
    assert facts["executables"]["sh"]["path"] and facts["executables"]["no-such-program-xyz"]["path"] is None
    assert facts["libraries"]["libc.so.6"]["path"] and facts["libraries"]["libno-such-xyz.so.1"]["path"] is None
    s = facts["scripts"]["./predict"]
    assert (s["wants"], s["resolves_to"]) == ("no-such-interpreter-xyz", None)
    env = facts["env"]
    assert env["CHURN_VARIANT"] == {"set": True, "value": "large"}
    assert env["MY_API_TOKEN"]["value"].startswith("sha256:") and "s3cret" not in json.dumps(facts)
    assert env["UNSET_XYZ"] == {"set": False}
    assert facts["uids"][str(os.getuid())]["known"] is True and facts["uids"]["4000000"] == {"known": False}
    assert facts["modules"]["json"]["found"] and not facts["modules"]["no_such_module_xyz"]["found"]
    system = facts["system"]
    assert system["uid"] == os.getuid() and isinstance(system["shm_bytes"], int) and system["os"]


def test_the_probe_sees_an_editable_install(tmp_path: Path) -> None:
    """The project's own package as `pip install -e .` leaves it: a .pth naming src/ and an editable
    direct_url.json."""
    from tests.smoke.test_explain_engine import _editable_venv

    project = tmp_path / "proj"
    (project / "src" / "churnscore").mkdir(parents=True)
    (project / "src" / "churnscore" / "__init__.py").write_text("")
    bin_dir = _editable_venv(project, tmp_path / "venv")
    proc = subprocess.run(
        probe_argv(str(bin_dir / "python3"), (), facts={"modules": ["churnscore"]}),
        cwd=project,
        capture_output=True,
        env={**os.environ, "REPROCHECK_PROBE_RESOLVED": "1"},
        timeout=120,
        check=False,
    )
    doc = parse(proc.stdout)
    assert doc is not None, proc.stderr
    m = doc["facts"]["modules"]["churnscore"]
    assert m["found"] and m["editable"] is True and m["dist"] == "churnscore"
    assert m["project_dir"] == str(project)


def test_the_image_side_facts_are_cleaned_and_bounded() -> None:
    doc = clean({"facts": {"paths": {"a": {"mode": "0600", "x": [1, {"deep": {"deeper": {"deepest": 1}}}]}}}})
    assert doc["facts"]["paths"]["a"]["mode"] == "0600"
    assert doc["facts"]["paths"]["a"]["x"][1] == {"deep": None}


# ---- 3. the fact sources and the ranking

DEBIAN = {"os": {"id": "debian", "version_id": "12", "pretty_name": "Debian GNU/Linux 12 (bookworm)"}}
ALPINE = {"os": {"id": "alpine", "pretty_name": "Alpine Linux v3.20"}}


def _crash(stderr: str, command: tuple[str, ...] = ("python3", "predict.py")) -> tuple[Any, Resources]:
    why = explain(1, stderr.encode(), False, False)
    return why, extract(why, command)


def test_a_missing_library_names_the_package_of_the_image_s_distribution() -> None:
    why, res = _crash("OSError: libgomp.so.1: cannot open shared object file: No such file or directory")
    host = {
        "system": DEBIAN,
        "libraries": {"libgomp.so.1": {"path": "/usr/lib/x86_64-linux-gnu/libgomp.so.1", "package": "libgomp1"}},
    }
    for image_os, package, line in ((DEBIAN, "libgomp1", "apt-get install"), (ALPINE, "libgomp", "apk add")):
        image = {"system": image_os, "libraries": {"libgomp.so.1": {"path": None}}}
        (cause,) = gather(Evidence(res, host, image, crash=why))
        assert cause.kind == "library" and cause.certainty == OBSERVED
        assert "libgomp1" in cause.host and package in cause.image and line in cause.fix


def test_libgl_suggests_the_headless_opencv() -> None:
    why, res = _crash("ImportError: libGL.so.1: cannot open shared object file: No such file or directory")
    image = {"system": DEBIAN, "libraries": {"libGL.so.1": {"path": None}}}
    (cause,) = gather(Evidence(res, {"system": DEBIAN}, image, crash=why))
    assert "libgl1" in cause.fix and "opencv-python-headless" in cause.fix


def test_an_executable_the_host_owns_names_the_host_package_when_the_table_has_none() -> None:
    why, res = _crash("sh: 1: jq: not found")
    host = {"system": DEBIAN, "executables": {"jq": {"path": "/usr/bin/jq", "package": "jq"}}}
    image = {"system": {**DEBIAN, "path": "/usr/bin:/bin"}, "executables": {"jq": {"path": None}}}
    (cause,) = gather(Evidence(res, host, image, crash=why))
    assert cause.host == "/usr/bin/jq (package jq)"
    assert "not on the image's PATH (/usr/bin:/bin)" in cause.image and "install jq in the image" in cause.fix


def test_a_module_editable_on_the_host_is_the_project_itself() -> None:
    why, _ = _crash("ModuleNotFoundError: No module named 'churnscore')")
    host = {
        "modules": {
            "churnscore": {
                "found": True,
                "dist": "churnscore",
                "version": "0.1.0",
                "editable": True,
                "project_dir": "/home/dev/churn",
                "origin": "/home/dev/churn/src/churnscore",
            }
        }
    }
    image = {"modules": {"churnscore": {"found": False, "copies": ["/app/src/churnscore"]}}}
    d = diagnose(None, {"facts": image}, crash=why, probed=Probed(host=host, command=("python3", "predict.py")))
    assert d.cause == "the project's own package `churnscore` is installed editable on the host, not in the image"
    assert d.certainty == OBSERVED
    assert "pip install --no-deps ." in d.hint and "ENV PYTHONPATH=/app/src" in d.hint
    assert "add it to the lock" not in d.hint and "')" not in d.cause


def test_without_facts_a_cause_is_inferred_from_the_message() -> None:
    why = explain(1, b"ModuleNotFoundError: No module named 'sklearn'", False, False)
    d = diagnose(None, None, crash=why)
    assert d.cause == "module not found: sklearn" and d.certainty == INFERRED


def test_a_record_with_a_local_install_does_not_say_add_it_to_the_lock() -> None:
    why = explain(1, b"ModuleNotFoundError: No module named 'churnscore'", False, False)
    host = {"distributions": {"churnscore": {"version": "0.1.0", "direct_url": True, "modules": []}}}
    d = diagnose(host, None, crash=why)
    assert "pip install --no-deps ." in d.hint and "add churnscore" not in d.hint


def test_an_unreadable_file_and_the_user_that_runs() -> None:
    why, res = _crash("PermissionError: [Errno 13] Permission denied: 'model/churn.json'")
    host = {
        "paths": {
            "model/churn.json": {"exists": True, "type": "file", "mode": "0644", "owner": "dev", "readable": True}
        }
    }
    image = {
        "system": {"uid": 10001, "passwd": None},
        "paths": {
            "model/churn.json": {"exists": True, "type": "file", "mode": "0600", "owner": "root", "readable": False}
        },
    }
    causes = rank(gather(Evidence(res, host, image, crash=why)))
    assert causes[0].kind == "file"
    assert causes[0].image == "mode 0600 owner root; the prediction runs as uid 10001 (no passwd entry)"
    assert "COPY --chmod=0644 model/churn.json" in causes[0].fix and "runAsNonRoot" in causes[0].production


def test_the_sandbox_exposed_it_names_the_production_setting() -> None:
    why, res = _crash("OSError: [Errno 30] Read-only file system: '/app/cache.json'")
    image = {
        "system": {"uid": 10001, "passwd": {"name": "app"}},
        "paths": {
            "/app/cache.json": {"exists": False, "parent_exists": True, "parent_writable": False, "writable": False}
        },
    }
    (cause,) = gather(Evidence(res, {}, image, crash=why))
    assert "readOnlyRootFilesystem" in cause.production and "read-only = false" in cause.fix
    gpu, res = _crash("RuntimeError: Found no NVIDIA driver on your system.")
    (cause,) = gather(Evidence(res, {"system": {}}, {"system": {"gpu_devices": []}}, crash=gpu))
    assert cause.subject == "GPU" and "CPU-only nodes" in cause.production
    shm, res = _crash("RuntimeError: DataLoader worker (pid 7) is killed by signal: Bus error. (shared memory)")
    (cause,) = gather(Evidence(res, {"system": {}}, {"system": {"shm_bytes": 64 * 1024**2}}, crash=shm))
    assert cause.subject == "/dev/shm" and "shm-size" in cause.fix


def test_a_mismatch_names_the_variable_the_code_reads_and_hides_secrets() -> None:
    host = {"environment": {"CHURN_VARIANT": "large", "API_TOKEN": "sha256:abcd", "EDITOR": "vim"}}
    image: dict[str, Any] = {"environment": {}}
    probed = Probed(code_reads={"CHURN_VARIANT": "predict.py:6", "API_TOKEN": "predict.py:2"})
    d = diagnose(host, image, golden=b'{"a": 1}', output=b'{"a": 2}', differing=("$.a",), probed=probed)
    assert d.cause == "environment variable CHURN_VARIANT: set on the host, not in the image (predict.py:6 reads it)"
    assert d.certainty == OBSERVED and "ENV CHURN_VARIANT=large" in d.hint
    secret = next(c for c in d.details["causes"] if c["subject"] == "API_TOKEN")
    assert "sha256:abcd" in secret["host"] and "never bake a secret" in secret["fix"]
    assert all(c["subject"] != "EDITOR" for c in d.details["causes"])


def test_a_mismatch_names_a_file_whose_bytes_differ() -> None:
    image = {"environment": {}, "facts": {"paths": {"weights.json": {"exists": True, "sha256": "b" * 64}}}}
    probed = Probed(host_files={"weights.json": "a" * 64})
    d = diagnose({"environment": {}}, image, golden=b'{"a": 1}', output=b'{"a": 2}', differing=("$.a",), probed=probed)
    assert d.cause == "weights.json differs between the project and the image" and d.certainty == OBSERVED


def test_a_mismatch_no_fact_explains_says_so() -> None:
    d = diagnose({"environment": {}}, {"environment": {}}, golden=b'{"a": 1}', output=b'{"a": 2}', differing=("$.a",))
    assert d.cause == f"values differ; {NO_FACT}" and d.certainty == NO_FACT


def test_fact_sources_are_an_extension_point() -> None:
    """smoke/ml_facts.py registers one more source; a source that raises does not hide the others."""

    def ml_source(ev: Evidence) -> list[Cause]:
        return [Cause("ml", "torch", "torch was built without CUDA", "2.3.0+cu121", "2.3.0+cpu", "pin the build")]

    def broken(ev: Evidence) -> list[Cause]:
        raise ValueError("a bug in one source")

    before = list(FACT_SOURCES)
    try:
        register(ml_source)
        register(ml_source)
        assert FACT_SOURCES.count(ml_source) == 1
        causes = gather(Evidence(Resources(), {}, {}), [*FACT_SOURCES, broken])
        assert [c.kind for c in causes] == ["ml"]
    finally:
        FACT_SOURCES[:] = before


def test_rank_puts_observed_facts_before_inferred_ones() -> None:
    a = Cause("x", "a", "a", "", "", "", certainty=INFERRED, weight=99)
    b = Cause("x", "b", "b", "", "", "", weight=10)
    c = Cause("x", "c", "c", "", "", "", weight=50)
    assert [x.subject for x in rank([a, b, c])] == ["c", "b", "a"]


def test_a_network_failure_names_the_host_and_the_air_gapped_setting() -> None:
    why, res = _crash(
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries "
        "exceeded (Caused by NameResolutionError: Failed to resolve 'huggingface.co')"
    )
    assert res.hosts == ("huggingface.co:443", "huggingface.co")
    (cause,) = gather(Evidence(res, {"system": {}}, {"system": {"network_interfaces": ["lo"]}}, crash=why))
    assert cause.subject == "huggingface.co:443" and "air-gapped" in cause.production
    assert cause.text.startswith("network: the prediction reaches the network (huggingface.co:443")


def test_a_command_whose_python_the_image_lacks_names_the_image_s_python() -> None:
    why = explain(
        127, b'OCI runtime create failed: exec: "python": executable file not found in $PATH: unknown', False, False
    )
    assert (why.cause, why.subject) == ("executable not found", "python")
    res = extract(why, ("python", "predict.py"))
    image = {"system": {**DEBIAN, "path": "/usr/bin:/bin"}, "executables": {"python": {"path": None}}}
    host = {"executables": {"python": {"path": "/usr/bin/python"}}}
    record = {"interpreter": {"executable": "/usr/bin/python3"}}
    (cause,) = gather(Evidence(res, host, image, image_record=record, crash=why))
    assert "the image's Python is /usr/bin/python3" in cause.image and "ln -s /usr/bin/python3" in cause.fix


def test_a_user_without_a_home_and_the_pids_limit_are_named_as_the_sandbox_s() -> None:
    why, res = _crash("PermissionError: [Errno 13] Permission denied: '/.cache/huggingface'")
    image = {"system": {"uid": 10001, "passwd": None, "home": "/", "home_writable": False}}
    (cause,) = gather(Evidence(res, {"system": {}}, image, crash=why))
    assert cause.text == "the prediction writes under HOME (/), which uid 10001 cannot write"
    assert "ENV HOME=/tmp" in cause.fix and "OpenShift" in cause.production
    why, res = _crash("RuntimeError: can't start new thread")
    (cause,) = gather(Evidence(res, {"system": {}}, {"system": {"pids_limit": "256"}}, crash=why))
    assert cause.subject == "pids" and "raise `pids`" in cause.fix and "podPidsLimit" in cause.production


def test_extra_fact_source_modules_are_loaded_when_present() -> None:
    from reprocheck.smoke.facts import load_fact_sources

    assert load_fact_sources(("reprocheck.smoke.no_such_facts_module", "reprocheck.smoke.differential")) == [
        "reprocheck.smoke.differential"
    ]


@pytest.mark.parametrize(
    "image",
    [
        {"system": 5, "libraries": [1, 2], "paths": {"model/churn.json": "x"}},
        {"system": {"gpu_devices": 3, "os": "debian", "uid": [], "home": 7, "shm_bytes": "big"}},
        {"modules": {"churnscore": {"found": False, "copies": 5}}, "scripts": {"./predict": {"shebang": 1}}},
    ],
)
def test_hostile_facts_from_the_image_never_raise(image: dict[str, Any]) -> None:
    """The image's stdout is not trusted: odd types end in no cause, never in a traceback."""
    stderr = (
        "ModuleNotFoundError: No module named 'churnscore'\nPermission denied: 'model/churn.json'\n"
        "OSError: libgomp.so.1: cannot open shared object file\nCUDA error /dev/shm"
    )
    why, res = _crash(stderr, ("./predict",))
    causes = gather(Evidence(res, {"system": {"os": 1}}, image, {"environment": 3}, {"environment": []}, why))
    assert all(isinstance(c, Cause) for c in causes)
    d = diagnose({"environment": 3}, {"facts": image}, crash=why, probed=Probed(command=("./predict",)))
    assert d.cause


def test_the_os_package_table_has_the_rows_the_explanations_use() -> None:
    from reprocheck.knowledge import system_package, table

    rows = table("system_libs")
    assert all(r["source"] and r["kind"] in ("library", "executable") for r in rows)
    assert len({r["name"] for r in rows}) == len(rows)
    expected = {
        ("git", "debian"): "git",
        ("libsndfile.so.1", "debian"): "libsndfile1",
        ("tesseract", "debian"): "tesseract-ocr",
        ("ffmpeg", "alpine"): "ffmpeg",
        ("libglib-2.0.so.0", "rhel"): "glib2",
        ("libgomp.so.1", "alpine"): "libgomp",
    }
    assert {key: system_package(*key) for key in expected} == expected
