"""Hostile projects: every path a spec names stays inside the project, or the command stops with exit 2 and
``file:line: key: ... resolves outside the project``. No Docker: refusals happen before any engine is asked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from reprocheck.confine import ProjectRoot, Refused, is_root_user
from reprocheck.errors import ConfigError
from reprocheck.runtime.options import RunOptions
from reprocheck.runtime.project import load_project
from reprocheck.smoke.spec import load_spec
from reprocheck.verify.spec import load_verify
from tests.conftest import run_cli

HEAD = '[tool.reprocheck.smoke]\ncommand = ["python", "predict.py"]\n'


def project(make_project: Any, spec: str, files: dict[str, str] | None = None) -> Path:
    root: Path = make_project({"pyproject.toml": HEAD + spec, "Dockerfile": "FROM a\n", **(files or {})})
    return root


def refused(root: Path, key: str, line: int, what: str = "resolves outside the project") -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        load_spec(None, root)
    err = exc.value
    assert (err.line, str(err.path).endswith("pyproject.toml")) == (line, True), err
    assert err.message.startswith(f"smoke.{key}: ") and what in err.message, err.message
    return err


@pytest.mark.parametrize(
    "target", ["/var/run/docker.sock", "/etc", "/etc/passwd", "../outside.txt"], ids=["socket", "etc", "file", "up"]
)
def test_an_input_linking_out_of_the_project_is_refused(make_project, tmp_path, target: str):
    root = project(make_project, 'golden = "g.json"\ninputs = ["data"]\n')
    (tmp_path.parent / "outside.txt").write_text("host secret")
    os.symlink(target, root / "data")
    refused(root, "inputs", 4)


def test_a_directory_input_holding_a_link_out_is_refused(make_project):
    root = project(make_project, 'golden = "g.json"\ninputs = ["data"]\n', {"data/rows.json": "[]"})
    os.symlink("/etc", root / "data" / "etc")
    err = refused(root, "inputs", 4)
    assert "`data/etc` is a link" in err.message


def test_a_directory_input_with_a_link_inside_the_project_is_mounted_resolved(make_project):
    root = project(make_project, 'golden = "g.json"\ninputs = ["data", "rows.json"]\n', {"real/rows.json": "[]"})
    os.symlink("real", root / "data")
    os.symlink("real/rows.json", root / "rows.json")
    os.symlink("../real/rows.json", root / "real" / "again.json")
    spec = load_spec(None, root)
    assert spec.input_paths == (root.resolve() / "real", root.resolve() / "real" / "rows.json")


def test_special_files_are_never_inputs(make_project):
    root = project(make_project, 'golden = "g.json"\ninputs = ["fifo"]\n')
    os.mkfifo(root / "fifo")
    refused(root, "inputs", 4, "is a FIFO")
    (root / "fifo").unlink()
    (root / "pyproject.toml").write_text(HEAD + 'golden = "g.json"\ninputs = ["dir"]\n')
    (root / "dir").mkdir()
    os.mkfifo(root / "dir" / "pipe")
    refused(root, "inputs", 4, "`dir/pipe` is a FIFO")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("golden", "../../golden.json"),
        ("golden", "/tmp/golden.json"),
        ("context", "../.."),
        ("context", "/"),
        ("dockerfile", "../../Dockerfile"),
        ("dockerfile", "/etc/hostname"),
        ("lock", "../requirements.txt"),
        ("lock", "/etc/passwd"),
    ],
)
def test_paths_leaving_the_project_are_refused(make_project, key: str, value: str):
    spec = f'{key} = "{value}"\n' + ('golden = "g.json"\n' if key != "golden" else "")
    root = project(make_project, spec)
    refused(root, key, 3)


def test_serve_body_leaving_the_project_is_refused(make_project):
    spec = 'golden = "g.json"\n\n[tool.reprocheck.smoke.serve]\nport = 8000\nbody = "../../../etc/passwd"\n'
    root = project(make_project, spec)
    with pytest.raises(ConfigError) as exc:
        load_spec(None, root)
    assert exc.value.line == 7 and exc.value.message.startswith("smoke.serve.body: ")
    assert "resolves outside the project" in exc.value.message


def test_a_golden_that_is_a_link_out_is_refused_and_record_writes_nothing(make_project, tmp_path):
    root = project(make_project, 'golden = "golden.json"\n', {"predict.py": "print(1)\n"})
    victim = tmp_path.parent / f"{tmp_path.name}-victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, root / "golden.json")
    r = run_cli("record", cwd=root)
    assert r.code == 2, r.err
    assert "pyproject.toml:3: error: smoke.golden: " in r.err and "resolves outside the project" in r.err
    assert victim.read_text() == "keep me"
    assert not (root / "golden.json.env.json").exists()


def test_a_planted_env_record_link_is_refused(make_project, tmp_path):
    root = project(make_project, 'golden = "golden.json"\n')
    os.symlink(tmp_path.parent / "elsewhere.json", root / "golden.json.env.json")
    refused(root, "golden", 3)


def test_smoke_refuses_before_any_engine_is_asked(make_project):
    root = project(make_project, 'golden = "g.json"\ninputs = ["sock"]\n')
    os.symlink("/var/run/docker.sock", root / "sock")
    r = run_cli("smoke", cwd=root, env={"DOCKER_HOST": "tcp://127.0.0.1:9"})
    assert r.code == 2
    assert "pyproject.toml:4: error: smoke.inputs: `sock` resolves outside the project" in r.err


def test_root_needs_allow_root(make_project):
    root = project(make_project, 'golden = "g.json"\nuser = "0"\n')
    refused(root, "user", 4, "allow-root = true")
    (root / "pyproject.toml").write_text(HEAD + 'golden = "g.json"\nuser = "root:root"\nallow-root = true\n')
    spec = load_spec(None, root)
    assert spec.allow_root and spec.user == "root:root"
    assert [is_root_user(u) for u in ("0", "00", "root", "0:1000", "1000", "nobody", "1000:0")] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_verify_lock_and_build_paths_are_confined(make_project):
    root = make_project(
        {"pyproject.toml": '[tool.reprocheck.verify]\nlock = "../../etc/passwd"\n', "Dockerfile": "FROM a\n"}
    )
    with pytest.raises(ConfigError) as exc:
        load_verify(root / "pyproject.toml")
    assert exc.value.line == 2 and exc.value.message.startswith("verify.lock: ")
    assert "resolves outside the project" in exc.value.message
    (root / "pyproject.toml").write_text('[tool.reprocheck.smoke]\ncontext = "/"\n')
    with pytest.raises(ConfigError) as exc:
        load_project(RunOptions(project=root))
    assert exc.value.line == 2 and "smoke.context: `/` resolves outside the project" in exc.value.message


def test_project_root_resolution(tmp_path):
    (tmp_path / "p" / "d").mkdir(parents=True)
    root = ProjectRoot.of(tmp_path / "p")
    assert root.resolve("d/../x") == root.path / "x"
    assert root.resolve(root.path / "new" / "file") == root.path / "new" / "file"
    for bad in ("..", "/", "d/../../p2"):
        with pytest.raises(Refused):
            root.resolve(bad)
