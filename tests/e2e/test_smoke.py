"""fixtures/smoke/*: build on the real engine, run sandboxed, compare; each failure names its cause."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.support.engine import (
    BASE_IMAGE,
    assert_nothing_left,
    engine_or_skip,
    expected,
    journal_leftovers,
    project_filter,
    project_objects,
    stage,
)
from tests.support.interrupt import default_sigint
from tests.support.wheels import locked_venv

pytestmark = pytest.mark.engine
# the fixtures that run as they are (a golden beside them); the differential ones record theirs on the host first
# (tests/smoke/test_explain_engine.py)
SMOKE = sorted(
    p.name for p in (ROOT / "fixtures" / "smoke").iterdir() if (p / "expect.toml").is_file() and (p / "golden").is_dir()
)


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


@pytest.mark.parametrize("name", SMOKE)
def test_smoke_fixture(name: str, backend, tmp_path: Path):
    project = stage(name, tmp_path)
    expect = expected(project)
    r = run_cli("smoke", "--progress", "plain", "--format", "json", cwd=project)
    assert r.code == expect["exit"], r.err[-3000:] + r.out[-3000:]
    data = json.loads(r.out)
    assert [f["rule"] for f in data["findings"]] == expect["rules"]
    text = json.dumps(data)
    for phrase in list(expect.get("says", [])):  # type: ignore[call-overload]
        assert phrase in text, (phrase, data["findings"])
    assert_nothing_left(backend, project, images=False)  # the smoke cache image stays, nothing else


def test_second_run_reuses_the_image_and_no_run_leaves_a_container(backend, tmp_path: Path):
    """Containers are removed in the background while the run is judged, and the process waits for those
    removals before it exits (with os._exit): nothing is looked for after a grace period here."""
    project = stage("iris-clean", tmp_path)
    for command in ("smoke", "check", "smoke"):  # a build; the prediction beside verify's probe; a reuse
        r = run_cli(command, "--progress", "plain", cwd=project)
        assert r.code == 0, r.err[-2000:]
        containers, _images, networks = project_objects(backend, project)
        assert containers == [] and networks == [], (command, containers, networks)
        assert journal_leftovers(project) == {}, command
    # no build step ran: the speed of a reuse is measured in bench/, not against a clock here
    assert "reused image" in r.out and "Step 1/" not in r.err
    # what explains a failure is imported only when there is one
    r = run_cli("smoke", "--progress", "plain", cwd=project, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert r.code == 0 and "reprocheck.smoke.runner" in r.err
    assert "reprocheck.smoke.diagnose" not in r.err and "reprocheck.smoke.explain" not in r.err


def test_image_option_checks_a_given_image_without_building(backend, session_images, tmp_path: Path):
    project = stage("iris-clean", tmp_path)
    tag = session_images.get("iris-clean")  # built elsewhere: by this session, under another tag
    r = run_cli("smoke", "--image", tag, "--progress", "plain", cwd=project)
    assert r.code == 0 and "checked image" in r.out and "Step 1/" not in r.err
    missing = run_cli("smoke", "--image", "reprocheck/nope:nothing", cwd=project)
    assert missing.code == 2 and "never pulls" in missing.err


def test_build_failure_names_the_step_and_leaves_nothing(backend, tmp_path: Path):
    project = stage("file-excluded", tmp_path)
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY . ./", "COPY . ./\nRUN python3 -c 'import numpy'"))
    r = run_cli("smoke", "--progress", "plain", "--format", "json", cwd=project)
    assert r.code == 1
    (finding,) = r.json()["findings"]
    assert finding["rule"] == "RC801" and finding["line"] == 5 and "ModuleNotFoundError" in finding["hint"]
    assert_nothing_left(backend, project)  # the journal lists the steps it made: all gone


def test_record_then_smoke_round_trip(backend, tmp_path: Path):
    """record runs on the host in a virtual environment made from the same wheels as the image."""
    project = stage("iris-clean", tmp_path)
    # the golden folder is in the build context (not ignored) but no COPY takes it: record must not
    # invalidate the image (issue 16.6)
    ignore = project / ".dockerignore"
    ignore.write_text(ignore.read_text().replace("golden/\n", ""))
    assert run_cli("smoke", "--progress", "quiet", cwd=project).code == 0
    (project / "golden" / "predictions.json").unlink()
    venv = tmp_path / "venv"
    locked_venv(project, venv)
    env = {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    rec = run_cli("record", cwd=project, env=env)
    assert rec.code == 0, rec.err
    record = json.loads((project / "golden" / "predictions.json.env.json").read_text())
    assert record["packages"]["scikit-learn"] == "1.4.2"
    again = run_cli("smoke", "--progress", "plain", cwd=project)
    assert again.code == 0, again.err[-2000:]
    assert "reused image" in again.out and "Step 1/" not in again.err


def test_no_engine_is_a_clear_error(tmp_path: Path):
    project = stage("too-slow", tmp_path)
    r = run_cli("smoke", cwd=project, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert r.code == 2
    assert "no Docker engine answers at unix:///nonexistent/docker.sock" in r.err and "DOCKER_HOST" in r.err
    assert "Traceback" not in r.err


def test_interrupted_run_leaves_no_container(backend, tmp_path: Path):
    project = stage("too-slow", tmp_path)
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text().replace("timeout = 3", "timeout = 60")
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "reprocheck", "smoke", "--progress", "plain"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=default_sigint,
    )
    label = project_filter(project)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not backend.client.api.containers(filters={**label, "status": "running"}):
        time.sleep(0.2)
    assert backend.client.api.containers(filters={**label, "status": "running"}), "the prediction never started"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert backend.client.api.containers(all=True, filters=label) == []
    proc2 = subprocess.Popen(
        [sys.executable, "-m", "reprocheck", "smoke", "--progress", "plain"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=default_sigint,
    )
    while time.monotonic() < deadline and not backend.client.api.containers(filters={**label, "status": "running"}):
        time.sleep(0.2)
    proc2.send_signal(signal.SIGTERM)  # a cancelled CI job
    assert proc2.wait(timeout=60) == 130
    assert backend.client.api.containers(all=True, filters=label) == []


def test_smoke_is_judged_by_the_projects_configuration_from_any_directory(backend, tmp_path: Path):
    project = stage("version-drift", tmp_path)
    config = project / "pyproject.toml"
    config.write_text(
        config.read_text().replace(
            'severity = { RC102 = "info" }',
            'failure-threshold = "error"\nseverity = { RC102 = "info", RC805 = "warning" }',
        )
    )
    r = run_cli("smoke", project.name, "--progress", "quiet", "--format", "json", cwd=tmp_path)
    assert r.code == 0, r.err[-2000:]  # RC805 is a warning under an error threshold: this project's choice
    (finding,) = r.json()["findings"]
    assert (finding["rule"], finding["severity"]) == ("RC805", "warning")
    assert finding["path"] == f"{project.name}/golden/predictions.json"  # relative to the working directory
    strict = run_cli("smoke", project.name, "--failure-threshold", "warning", "--progress", "quiet", cwd=tmp_path)
    assert strict.code == 1  # the command line wins over the configuration
    config.write_text(config.read_text().replace('failure-threshold = "error"\n', 'ignore = ["prediction-differs"]\n'))
    ignored = run_cli("smoke", project.name, "--progress", "quiet", "--format", "json", cwd=tmp_path)
    assert ignored.code == 0 and ignored.json()["findings"] == []


def test_clean_removes_one_projects_objects_and_no_others(backend, tmp_path: Path):
    mine = stage("too-slow", tmp_path / "mine")
    other = stage("too-slow", tmp_path / "other")  # same inputs, another project: its own cache image
    for project in (mine, other):
        run_cli("smoke", "--progress", "quiet", cwd=project)
        assert project_objects(backend, project)[1], "the smoke cache image is labelled with its project"
    r = run_cli("clean", str(mine))
    assert r.code == 0 and "removed 0 containers, 1 image and 0 networks of project too-slow-" in r.out, r.out
    assert project_objects(backend, mine) == ([], [], [])
    assert project_objects(backend, other)[1], "clean of one project removed another's image"
    assert run_cli("clean", cwd=other).code == 0
    assert project_objects(backend, other) == ([], [], [])


TINY = {
    "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY p.py /app/\nWORKDIR /app\n",
    "pyproject.toml": '[tool.reprocheck.smoke]\ncommand = ["python3", "p.py"]\ngolden = "golden.json"\n'
    "keep-images = 2\n",
    "golden.json": "[1]\n",
}


def test_the_cache_keeps_the_last_images_of_a_project(backend, tmp_path: Path, make_project):
    project = make_project(TINY, tmp_path / "tiny")
    try:
        for n in range(3):  # three input changes, three builds
            (project / "p.py").write_text(f"# version {n}\nprint([1])\n")
            r = run_cli("smoke", "--progress", "quiet", cwd=project)
            assert r.code == 0, r.out + r.err
            assert len(project_objects(backend, project)[1]) <= 2
        assert "removed 1 older cached image(s) of this project (keep-images = 2)" in r.out
    finally:
        run_cli("clean", str(project))


HOSTILE_PREDICTIONS = {
    "stdout": "import sys\nblock = b'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.buffer.write(block)\n",
    "`out.json`": "f = open('out.json', 'wb')\nfor _ in range(300):\n    f.write(b'x' * (1 << 20))\n",
}


@pytest.mark.parametrize("what", sorted(HOSTILE_PREDICTIONS))
def test_a_flood_of_output_is_rc807_and_reprocheck_stays_small(backend, tmp_path: Path, make_project, what: str):
    files = dict(TINY, **{"p.py": HOSTILE_PREDICTIONS[what]})
    if what != "stdout":
        files["pyproject.toml"] += 'output = "out.json"\n'
    project = make_project(files, tmp_path / "flood")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reprocheck", "smoke", "--progress", "quiet", "--format", "json"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        box: dict[str, bytes] = {}
        readers = [
            threading.Thread(target=lambda n=n, f=f: box.__setitem__(n, f.read()))
            for n, f in (("out", proc.stdout), ("err", proc.stderr))
        ]
        for t in readers:
            t.start()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory, not the test run's
        proc.returncode = os.waitstatus_to_exitcode(status)
        for t in readers:
            t.join()
        for pipe in (proc.stdout, proc.stderr):
            assert pipe is not None
            pipe.close()
        assert proc.returncode == 1, box["err"].decode()[-2000:]
        (finding,) = json.loads(box["out"])["findings"]
        assert finding["rule"] == "RC807" and f"max-output = 16m to {what}" in finding["message"]
        # 100 MB printed or 300 MB written; before the limit reprocheck itself grew to 450 MB
        assert usage.ru_maxrss < 200 * 1024, f"reprocheck peaked at {usage.ru_maxrss // 1024} MiB"
        assert_nothing_left(backend, project, images=False)
    finally:
        run_cli("clean", str(project))


def test_special_files_in_the_context_neither_hang_nor_break_smoke(backend, tmp_path: Path, make_project):
    project = make_project(dict(TINY, **{"p.py": "print([1])\n"}), tmp_path / "special")
    os.mkfifo(project / "fifo")
    os.symlink("/dev/zero", project / "zero")
    os.symlink("does-not-exist", project / "dangling")
    try:
        r = run_cli("smoke", "--progress", "quiet", cwd=project)  # run_cli's own timeout catches a hang
        assert r.code == 0, r.out + r.err
        again = run_cli("smoke", "--progress", "quiet", cwd=project)
        assert again.code == 0 and "reused image" in again.out  # the digest is stable over them
    finally:
        run_cli("clean", str(project))


def test_root_only_with_allow_root_and_then_a_warning(backend, tmp_path: Path, make_project):
    files = dict(TINY, **{"p.py": "import os\nprint([os.getuid()])\n", "golden.json": "[0]\n"})
    files["pyproject.toml"] += 'user = "0"\n'
    project = make_project(files, tmp_path / "root")
    try:
        refused = run_cli("smoke", "--progress", "quiet", cwd=project)
        assert refused.code == 2 and "smoke.user: `0` runs the project's code as root" in refused.err
        (project / "pyproject.toml").write_text(files["pyproject.toml"] + "allow-root = true\n")
        r = run_cli("smoke", "--progress", "quiet", cwd=project)
        assert r.code == 0, r.out + r.err
        assert "warning: the prediction runs as root (`user = '0'`, allow-root = true)" in r.out
    finally:
        run_cli("clean", str(project))
