"""GPU smoke mode: the spec's ``gpus`` and ``--gpus`` become a device request to the engine; an engine with no
GPU runtime refuses the container and the stage is reported as not run with the engine's reason (never a
crash, never a pass); a test marked ``gpu`` runs a CUDA prediction where the engine has a GPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reprocheck.backend.base import RunRequest, Sandbox, container_config
from reprocheck.errors import ConfigError
from reprocheck.smoke.gpu import parse_gpus, refusal
from reprocheck.smoke.spec import parse_spec
from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, engine_or_skip

# what Docker 20.10-28 answers when a container asks for GPUs on an engine without the NVIDIA runtime
REFUSED = b'could not select device driver "" with capabilities: [[gpu]]'


@pytest.mark.parametrize(
    ("value", "request_"),
    [("all", "all"), (1, "1"), ("2", "2"), (0, None), ("none", None), (None, None), ("", None)],
)
def test_gpus_values(value, request_):
    assert parse_gpus(value) == request_


@pytest.mark.parametrize("value", ["many", -1, "1.5", 2.0, True, ["all"], 5000])
def test_bad_gpus_values_are_refused(value):
    with pytest.raises(ValueError, match="all"):
        parse_gpus(value)


def test_device_request_in_the_create_body():
    body = container_config("img", ("python",), Sandbox(gpus="all"), "65534", 1.0, {})
    assert body["HostConfig"]["DeviceRequests"] == [  # type: ignore[index]
        {"Driver": "", "Count": -1, "DeviceIDs": None, "Capabilities": [["gpu"]], "Options": {}}
    ]
    two = container_config("img", ("python",), Sandbox(gpus="2"), "65534", 1.0, {})
    assert two["HostConfig"]["DeviceRequests"][0]["Count"] == 2  # type: ignore[index]
    plain = container_config("img", ("python",), Sandbox(), "65534", 1.0, {})
    assert "DeviceRequests" not in plain["HostConfig"]  # type: ignore[operator]


def test_refusals_are_told_apart_from_a_missing_executable():
    assert refusal(b"Error response from daemon: " + REFUSED) is not None
    assert refusal(b"unknown or invalid runtime name: nvidia") is not None
    assert refusal(b'exec: "python": executable file not found in $PATH') is None


def test_spec_reads_gpus_and_points_at_a_bad_value(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    table = {"command": ["python", "p.py"], "golden": "g.json", "gpus": "all"}
    assert parse_spec(table, tmp_path, "pyproject.toml").gpus == "all"
    text = '[tool.reprocheck.smoke]\ncommand = ["python", "p.py"]\ngolden = "g.json"\ngpus = "lots"\n'
    with pytest.raises(ConfigError) as err:
        parse_spec({**table, "gpus": "lots"}, tmp_path, "pyproject.toml", text)
    assert err.value.line == 4 and "gpus" in err.value.message
    # serve mode asks for GPUs the same way (one container config for both modes)
    served = parse_spec({**table, "serve": {"port": 8000}}, tmp_path, "pyproject.toml")
    assert (served.gpus, served.serve is not None) == ("all", True)


def _project(root: Path, gpus: str | None) -> Path:
    project = root / "gpu-project"
    (project / "golden").mkdir(parents=True)
    (project / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nWORKDIR /app\nCOPY predict.py ./\nUSER 65534\n")
    (project / "predict.py").write_text(
        "import json, os\nprint(json.dumps({'visible': os.environ.get('NVIDIA_VISIBLE_DEVICES', 'none')}))\n"
    )
    (project / "golden" / "out.json").write_text('{"visible": "none"}\n')
    spec = f'gpus = "{gpus}"\n' if gpus else ""
    (project / "pyproject.toml").write_text(
        '[tool.reprocheck]\nseverity = { RC102 = "info" }\n\n[tool.reprocheck.smoke]\n'
        f'command = ["python3", "predict.py"]\ngolden = "golden/out.json"\ntimeout = 30\n{spec}'
    )
    return project


def _engine_has_gpu(backend) -> str | None:
    """None when the engine gives containers GPUs, else why not (the engine's own refusal)."""
    result = backend.run(RunRequest(BASE_IMAGE, ("true",), Sandbox(gpus="all"), 30))
    if result.exit_code == 0:
        return None
    return refusal(result.stderr) or result.stderr.decode("utf-8", "replace")[-300:] or "the engine gave no reason"


@pytest.mark.engine
def test_without_a_gpu_runtime_the_stage_is_not_run(tmp_path: Path):
    backend = engine_or_skip()
    if _engine_has_gpu(backend) is None:
        pytest.skip("this engine has a GPU runtime: the refusal cannot be seen here")
    project = _project(tmp_path, "all")
    smoke = run_cli("smoke", "--progress", "quiet", cwd=project)
    assert smoke.code == 2, smoke.err
    assert "smoke not run" in smoke.err and "no GPU runtime" in smoke.err and "could not select" in smoke.err
    assert "Traceback" not in smoke.err
    check = run_cli("check", "--progress", "quiet", "--format", "json", cwd=project)
    assert check.code == 3, check.err  # incomplete: neither a pass nor a crash
    data = json.loads(check.out)
    smoke_row = next(s for s in data["stages"] if s["name"] == "smoke")
    assert smoke_row["status"] == "skipped" and "no GPU" in smoke_row["detail"]
    assert not [f for f in data["findings"] if f["rule"] == "RC802"]
    assert any("could not select device driver" in n for n in data["notes"])
    # --gpus none runs the same project on the CPU, and it passes
    cpu = run_cli("smoke", "--progress", "quiet", "--gpus", "none", cwd=project)
    assert cpu.code == 0, cpu.err
    bad = run_cli("smoke", "--progress", "quiet", "--gpus", "lots", cwd=project)
    assert bad.code == 2 and "--gpus" in bad.err and "Traceback" not in bad.err


@pytest.mark.engine
def test_serve_mode_asks_for_gpus_and_a_refusal_is_not_run(tmp_path: Path):
    """Serve mode's container carries the same device request: on an engine without a GPU runtime the server
    never starts, and that is "not run" with the engine's words, never a crash of the server."""
    backend = engine_or_skip()
    if _engine_has_gpu(backend) is None:
        pytest.skip("this engine has a GPU runtime: the refusal cannot be seen here")
    project = _project(tmp_path, "all")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'command = ["python3", "predict.py"]', 'command = ["python3", "-m", "http.server"]'
        )
        + '\n[tool.reprocheck.smoke.serve]\nport = 8000\nmethod = "GET"\nready-timeout = 20\n'
    )
    smoke = run_cli("smoke", "--progress", "quiet", cwd=project)
    assert smoke.code == 2, smoke.out + smoke.err
    assert "smoke not run" in smoke.err and "could not select" in smoke.err and "Traceback" not in smoke.err
    check = run_cli("check", "--progress", "quiet", "--format", "json", cwd=project)
    assert check.code == 3, check.err
    assert not [f for f in json.loads(check.out)["findings"] if f["rule"] in ("RC802", "RC806")]


@pytest.mark.engine
@pytest.mark.gpu
def test_cuda_prediction_on_a_gpu_engine(tmp_path: Path):
    """A CUDA prediction (the driver's libcuda, injected by the runtime, through ctypes) with --gpus all."""
    backend = engine_or_skip()
    why = _engine_has_gpu(backend)
    if why is not None:
        pytest.skip(f"the engine has no GPU runtime: {why}")
    project = _project(tmp_path, None)
    (project / "predict.py").write_text(
        "import ctypes, json\n"
        "cuda = ctypes.CDLL('libcuda.so.1')\n"
        "assert cuda.cuInit(0) == 0, 'cuInit failed'\n"
        "count = ctypes.c_int()\n"
        "assert cuda.cuDeviceGetCount(ctypes.byref(count)) == 0\n"
        "print(json.dumps({'devices_at_least_one': count.value >= 1}))\n"
    )
    (project / "golden" / "out.json").write_text('{"devices_at_least_one": true}\n')
    r = run_cli("smoke", "--progress", "quiet", "--gpus", "all", cwd=project)
    assert r.code == 0, r.err
