"""The ML probe (reprocheck/ml_probe.py) run for real on this interpreter over a site directory made here: a
real ELF extension whose needed library is absent, two distributions writing one package, an LFS pointer;
then verify's ML judge over what it wrote, and the smoke diagnosis's comparison of two sides' ML facts."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from reprocheck.envprobe import PROBE, clean
from reprocheck.ml_probe import clean_ml
from reprocheck.smoke.diagnose import Diagnosis
from reprocheck.smoke.ml_facts import ml_differences, with_ml_facts
from reprocheck.verify.expect import Expectation, LockEntry
from reprocheck.verify.ml import is_driver_library, judge_ml

# torch/version.py as the 2.13.0+cpu wheel writes it, made a CUDA build
TORCH_VERSION_PY = b"""from typing import Optional

__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip', 'rocm', 'xpu']
__version__ = '2.3.1+cu121'
debug = False
cuda: Optional[str] = '12.1'
git_version = 'cf30153c4c131c8164ee7798e5022d810682e2cb'
hip: Optional[str] = None
"""
TF_BUILD_INFO = b"""# generated
build_info = {
    'cuda_version': '12.2',
    'cudnn_version': '8',
    'is_cuda_build': True,
    'is_rocm_build': False,
}
"""
ORT_INFO = b"package_name = 'onnxruntime-gpu'\n__version__ = '1.18.0'\ncuda_version = '11.8'\ncudnn_version = '8.9'\n"
POINTER = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"ab" * 32 + b"\nsize 438123456\n"


def _real_extension() -> bytes:
    """An extension module of this interpreter's standard library, with its libc dependency renamed (same
    length) to a library no system has: a real ELF file whose DT_NEEDED the loader cannot satisfy."""
    import _json

    dynload = Path(getattr(_json, "__file__", "") or sysconfig.get_paths()["platstdlib"]).parent
    for candidate in sorted(dynload.glob("_json*.so")) + sorted(dynload.glob("*.so")):
        data = candidate.read_bytes()
        if data[:4] == b"\x7fELF" and data.count(b"libc.so.6\x00") >= 1:
            return data.replace(b"libc.so.6\x00", b"libq.so.6\x00")
    pytest.skip("no ELF extension module linked against libc.so.6 in this interpreter's lib-dynload")


def _dist(site: Path, name: str, files: dict[str, bytes]) -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = []
    for rel, data in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{rel},sha256={digest},{len(data)}")
    lines.append(f"{info.name}/RECORD,,")
    (info / "RECORD").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def probed(tmp_path_factory) -> dict[str, Any]:
    if not sys.platform.startswith("linux"):
        pytest.skip("ELF shared objects: Linux only")
    root = tmp_path_factory.mktemp("mlprobe")
    site = root / "site"
    _dist(
        site,
        "visionkit",
        {
            "visionkit/__init__.py": b"",
            "visionkit/_core.so": _real_extension(),
            "visionkit/broken.so": b"\x7fELF\x02\x01\x01" + b"\xff" * 20,  # truncated: read, never trusted
        },
    )
    fifo = site / "visionkit" / "pipe.so"
    _dist(site, "visionkit-headless", {"visionkit/__init__.py": b"# other build\n"})
    _dist(
        site, "torch", {"torch/__init__.py": b"", "torch/version.py": TORCH_VERSION_PY, "torch/lib/libcudnn.so.9": b""}
    )
    _dist(site, "tensorflow", {"tensorflow/python/platform/build_info.py": TF_BUILD_INFO})
    _dist(
        site,
        "onnxruntime-gpu",
        {
            "onnxruntime/capi/build_and_package_info.py": ORT_INFO,
            "onnxruntime/capi/libonnxruntime_providers_cuda.so": b"",
            "onnxruntime/capi/libonnxruntime_providers_shared.so": b"",
        },
    )
    _dist(site, "nvidia-cudnn-cu12", {"nvidia/cudnn/__init__.py": b""})
    _dist(site, "nsa", {"sharedns/a.py": b""})  # a namespace package shared without shared files
    _dist(site, "nsb", {"sharedns/b.py": b""})
    os.mkfifo(fifo)  # listed in no RECORD... and one that is: neither may block the probe
    record = site / "visionkit_headless-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + "visionkit/pipe.so,,\n")
    app = root / "app"
    (app / "models").mkdir(parents=True)
    (app / "models" / "model.pkl").write_bytes(POINTER)
    (app / "predict.py").write_text("print(1)\n")
    bin_dir = root / "bin"  # an nvidia-smi that answers as a driver 535 machine with one A10G would
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--query-gpu=name,driver_version,memory.total" ]; then\n'
        '  echo "NVIDIA A10G, 535.54.03, 23028 MiB"\n'
        "else\n"
        '  echo "| NVIDIA-SMI 535.54.03    Driver Version: 535.54.03    CUDA Version: 12.2 |"\n'
        "fi\n"
    )
    smi.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(site), "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
    ran = subprocess.run([sys.executable, "-c", PROBE], cwd=app, env=env, capture_output=True, timeout=120, check=True)
    doc = json.loads(ran.stdout.decode().splitlines()[-1])
    return {"doc": clean(doc), "app": app}


def test_unresolved_library_names_file_and_distribution(probed):
    ml = probed["doc"]["ml"]
    assert {"file": "visionkit/_core.so", "library": "libq.so.6", "distribution": "visionkit"} in ml["unresolved"]
    # the same object's other libraries (if any) resolve on this system: only the renamed one is missing
    assert not [u for u in ml["unresolved"] if u["distribution"] == "visionkit" and u["library"] != "libq.so.6"]
    assert ml["scanned"] >= 1
    assert ml["errors"] == []


def test_shared_files_only_for_real_overlap(probed):
    ml = probed["doc"]["ml"]
    assert ml["shared_files"]["visionkit"]["distributions"] == ["visionkit", "visionkit-headless"]
    assert "sharedns" not in ml["shared_files"]
    assert ml["import_owners"]["sharedns"] == ["nsa", "nsb"]
    assert ml["import_owners"]["visionkit"] == ["visionkit", "visionkit-headless"]


def test_lfs_pointer_found_under_working_directory(probed):
    ml = probed["doc"]["ml"]
    assert ml["lfs_pointers"] == [
        {"path": str(probed["app"] / "models" / "model.pkl"), "oid": "sha256:" + "ab" * 32, "size": 438123456}
    ]


def test_framework_build_facts_read_from_their_files(probed):
    fw = probed["doc"]["ml"]["frameworks"]
    assert fw["torch"]["version"] == "2.3.1+cu121" and fw["torch"]["cuda"] == "12.1"
    assert fw["torch"]["cudnn"] == "9" and fw["torch"]["hip"] is None
    assert fw["tensorflow"]["build_info"] == {
        "cuda_version": "12.2",
        "cudnn_version": "8",
        "is_cuda_build": True,
        "is_rocm_build": False,
    }
    assert fw["onnxruntime"]["providers_shipped"] == ["CPUExecutionProvider", "CUDAExecutionProvider"]
    assert fw["onnxruntime"]["cuda_version"] == "11.8" and fw["onnxruntime"]["distribution"] == "onnxruntime-gpu"
    assert fw["nvidia_wheels"] == {"nvidia-cudnn-cu12": "1.0"}


def test_gpu_model_driver_and_cuda_from_nvidia_smi(probed):
    gpu = probed["doc"]["ml"]["gpu"]
    assert gpu == {
        "driver": "535.54.03",
        "cuda": "12.2",
        "error": None,
        "devices": [{"name": "NVIDIA A10G", "driver": "535.54.03", "memory": "23028 MiB"}],
    }


def test_verify_judges_the_probe(probed):
    exp = Expectation(
        dockerfile="Dockerfile",
        locks=("requirements.txt",),
        entries={"visionkit": (LockEntry("visionkit", ("1.0",), "requirements.txt", 3, True),)},
        base_line=1,
    )
    findings, notes = judge_ml(probed["doc"]["ml"], exp)
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"ML801", "ML802", "ML803"}
    assert "visionkit needs libq.so.6" in by_rule["ML801"].message
    assert (by_rule["ML801"].location.path, by_rule["ML801"].location.line) == ("requirements.txt", 3)
    assert "`visionkit`" in by_rule["ML802"].message
    assert "model.pkl" in by_rule["ML803"].message
    assert notes == [
        "ML build facts in the image: torch 2.3.1+cu121 (CUDA 12.1, cuDNN 9); tensorflow 1.0 (CUDA 12.2); "
        "onnxruntime-gpu 1.0 (providers: CPUExecutionProvider, CUDAExecutionProvider); "
        "CUDA wheels: nvidia-cudnn-cu12 1.0"
    ]


def test_ml802_names_the_distribution_that_pulls_the_second_build_in():
    from reprocheck.verify.ml import requirers
    from reprocheck.verify.probe import Dist, Inventory

    inv = Inventory(
        dists=(
            Dist("opencv-python", "4.10.0.84"),
            Dist("opencv-python-headless", "4.10.0.84"),
            Dist("albumentations", "1.4.8", requires=("opencv-python-headless", "numpy")),
        )
    )
    ml = clean_ml(
        {"shared_files": {"cv2": {"distributions": ["opencv-python", "opencv-python-headless"], "files": 79}}}
    )
    (f,) = judge_ml(ml, Expectation(dockerfile="Dockerfile"), requirers(inv))[0]
    assert "`cv2` (opencv-python-headless is required by albumentations)" in f.message


def test_driver_libraries_are_expected_missing():
    assert is_driver_library("libcuda.so.1") and is_driver_library("libnvidia-ml.so.1")
    assert not is_driver_library("libcudart.so.12") and not is_driver_library("libGL.so.1")
    ml = clean_ml(
        {
            "unresolved": [
                {"file": "torch/lib/libtorch_cuda.so", "library": "libcuda.so.1", "distribution": "torch"},
                {"file": "cv2/cv2.abi3.so", "library": "libGL.so.1", "distribution": "opencv-python"},
            ]
        }
    )
    findings, notes = judge_ml(ml, Expectation(dockerfile="Dockerfile"))
    assert [f.rule for f in findings] == ["ML801"]
    assert "libgl1" in (findings[0].hint or "") and "opencv-python-headless" in (findings[0].hint or "")
    assert notes and "libcuda.so.1" in notes[0]


@pytest.mark.parametrize(
    "hostile",
    [None, 1, "x", [], {"unresolved": "x", "frameworks": [1], "shared_files": {"a": 3}, "gpu": "y"}],
)
def test_clean_ml_keeps_only_known_shapes(hostile):
    got = clean_ml(hostile)
    assert isinstance(got, dict)
    judge_ml(got, Expectation(dockerfile="Dockerfile"))  # never raises


def _record(torch: dict[str, Any] | None = None, gpu: dict[str, Any] | None = None) -> dict[str, Any]:
    ml: dict[str, Any] = {"frameworks": {"torch": torch} if torch else {}}
    if gpu:
        ml["gpu"] = gpu
    return {"ml": ml}


def test_smoke_names_the_torch_build_on_each_side():
    host = _record({"version": "2.3.1+cu121", "cuda": "12.1", "cudnn": "8902"})
    image = _record({"version": "2.3.1+cpu", "cuda": None, "cudnn": None})
    lines = ml_differences(host, image)
    assert "torch: 2.3.1+cu121 on the host, 2.3.1+cpu in the image" in lines
    assert "torch's CUDA: 12.1 on the host, none in the image" in lines
    d = with_ml_facts(Diagnosis(rule=None, cause="values differ", hint="h", evidence=("e",)), host, image)  # type: ignore[arg-type]
    assert d.cause == "ML framework build differs (torch)"
    assert d.evidence[-1] == "e" and d.details["ml"] == lines


def test_smoke_compares_gpus_and_leaves_specific_causes():
    gpu = {"devices": [{"name": "NVIDIA A10G", "driver": "535.54", "memory": "23028 MiB"}], "driver": "535.54"}
    host = _record(gpu={**gpu, "cuda": "12.2"})
    image = _record()
    assert ml_differences(host, image) == [
        "GPU: 1 x NVIDIA A10G (driver 535.54, CUDA 12.2) on the host, no GPU in the image"
    ]
    d = with_ml_facts(Diagnosis(rule=None, cause="timezone", hint="h", evidence=()), host, image)  # type: ignore[arg-type]
    assert d.cause == "timezone"
    assert ml_differences(host, {}) == []  # an old record without the section: nothing is claimed


OPENCV_GUI = {
    "unresolved": [
        {"file": "cv2/qt/plugins/platforms/libqxcb.so", "library": "libxcb.so.1", "distribution": "opencv-python"},
        {"file": "opencv_python.libs/libQt5XcbQpa.so", "library": "libxcb.so.1", "distribution": "opencv-python"},
        {"file": "opencv_python.libs/libQt5Gui.so", "library": "libGL.so.1", "distribution": "opencv-python"},
        {"file": "opencv_python.libs/libQt5Core.so", "library": "libgthread-2.0.so.0", "distribution": "opencv-python"},
    ]
}


def test_one_finding_per_distribution_led_by_the_library_its_import_needs():
    findings, _ = judge_ml(clean_ml(OPENCV_GUI), Expectation(dockerfile="Dockerfile"))
    (f,) = findings
    assert f.message.startswith(
        "opencv-python needs libGL.so.1 and 2 more libraries (libxcb.so.1, libgthread-2.0.so.0), which the image"
    )
    assert "Debian: libgl1, libglib2.0-0" in (f.hint or "")


def test_a_crash_on_a_missing_library_names_the_distribution_that_needs_it():
    crash = Diagnosis(
        rule=None,  # type: ignore[arg-type]
        cause="shared library missing",
        hint="install it",
        evidence=("ImportError: libGL.so.1: cannot open shared object file",),
        details={"subject": "libGL.so.1"},
    )
    d = with_ml_facts(crash, None, {"ml": clean_ml(OPENCV_GUI)})
    assert d.cause == "shared library missing: libGL.so.1 (needed by opencv-python)"
    assert d.hint.startswith("install libgl1 (pinned) in the final stage") and "headless" in d.hint
    assert d.evidence[0].startswith("libGL.so.1 is needed by opencv-python (opencv_python.libs/libQt5Gui.so)")
    other = Diagnosis(rule=None, cause="shared library missing", hint="h", evidence=(), details={"subject": "libz.so"})  # type: ignore[arg-type]
    assert with_ml_facts(other, None, {"ml": clean_ml(OPENCV_GUI)}) == other
