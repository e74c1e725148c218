"""The ML rule family (ML1xx-ML7xx) on small projects written to disk: rule id, file and line of each finding,
and the cases each rule must leave alone."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.lint.selection import Selection
from reprocheck.rules import META

SLIM = "FROM python:3.11-slim\n"
INSTALL = "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"


def lint(make_project, monkeypatch, files, *rules: str) -> list[tuple[str, str, int]]:
    root = make_project({**files, ".git/HEAD": "ref: main\n"})
    monkeypatch.chdir(root)
    report = lint_paths(["."], LintOptions(isolated=True, select=rules or ("ML",)))
    return sorted((f.rule, f.location.path, f.location.line) for f in report.active)


def messages(make_project, monkeypatch, files, rule: str) -> list[str]:
    root = make_project({**files, ".git/HEAD": "ref: main\n"})
    monkeypatch.chdir(root)
    return [f.message for f in lint_paths(["."], LintOptions(isolated=True, select=(rule,))).active]


def test_select_ml_selects_exactly_the_family():
    sel = Selection(("ML",), (), {})
    chosen = {rid for rid, meta in META.items() if sel.enabled(meta)}
    assert chosen == {rid for rid in META if rid.startswith("ML")}
    assert len(chosen) >= 16
    assert not Selection(("RC",), (), {}).enabled(META["ML101"])
    assert Selection(("ML1",), (), {}).enabled(META["ML102"]) and not Selection(("ML1",), (), {}).enabled(META["ML201"])


def test_ml_selectors_work_in_pragmas(make_project, monkeypatch):
    files = {"Dockerfile": SLIM + INSTALL, "requirements.txt": "lightgbm==4.3.0\n"}
    assert lint(make_project, monkeypatch, files, "ML101") == [("ML101", "Dockerfile", 3)]
    for pragma in ("ML1", "ML101", "ml-package-needs-system-library"):
        files["Dockerfile"] = SLIM + INSTALL.replace("RUN", f"# reprocheck: ignore={pragma}\nRUN")
        assert lint(make_project, monkeypatch, files, "ML101", "RC901") == [], pragma


def test_ml101_names_each_missing_library_and_respects_providers(make_project, monkeypatch):
    req = {"requirements.txt": "opencv-python==4.10.0.84\nlightgbm==4.3.0\nnumpy==1.26.4\n"}
    found = lint(make_project, monkeypatch, {"Dockerfile": SLIM + INSTALL, **req}, "ML101")
    assert found == [("ML101", "Dockerfile", 3), ("ML101", "Dockerfile", 3)]


def test_ml101_a_provider_through_the_debian_closure_counts(make_project, monkeypatch, tmp_path):
    df = SLIM + "RUN apt-get update && apt-get install -y ffmpeg libsm6\n" + INSTALL
    files = {"Dockerfile": df, "requirements.txt": "opencv-python==4.10.0.84\nlightgbm==4.3.0\n"}
    assert lint(make_project, monkeypatch, files, "ML101") == []


def test_ml101_full_python_ships_libgomp_but_not_libgl(make_project, monkeypatch):
    req = "lightgbm==4.3.0\nopencv-python==4.10.0.84\n"
    files = {"Dockerfile": "FROM python:3.11\n" + INSTALL, "requirements.txt": req}
    msgs = messages(make_project, monkeypatch, files, "ML101")
    assert len(msgs) == 1 and "libGL.so.1" in msgs[0] and "libgomp" not in msgs[0]


def test_ml101_unknown_base_is_not_judged_and_headless_needs_nothing(make_project, monkeypatch):
    files = {"Dockerfile": "FROM mycorp/ml-base:1\n" + INSTALL, "requirements.txt": "opencv-python==4.10.0.84\n"}
    assert lint(make_project, monkeypatch, files, "ML101") == []
    files = {"Dockerfile": SLIM + INSTALL, "requirements.txt": "opencv-python-headless==4.10.0.84\nxgboost==2.1.4\n"}
    assert lint(make_project, monkeypatch, files, "ML101") == []


def test_ml101_multi_stage_judges_the_final_stage_os_packages(make_project, monkeypatch):
    df = (
        "FROM python:3.11-slim AS build\nRUN apt-get update && apt-get install -y libgomp1\n"
        + INSTALL.replace("pip install", "pip install --prefix=/install")
        + "FROM python:3.11-slim\nCOPY --from=build /install /usr/local\n"
    )
    found = lint(make_project, monkeypatch, {"Dockerfile": df, "requirements.txt": "lightgbm==4.3.0\n"}, "ML101")
    assert found == [("ML101", "Dockerfile", 4)]


def test_ml102_executables(make_project, monkeypatch):
    files = {"Dockerfile": SLIM + "RUN pip install pytesseract==0.3.10 pdf2image==1.17.0\n"}
    assert lint(make_project, monkeypatch, files, "ML102") == [("ML102", "Dockerfile", 2), ("ML102", "Dockerfile", 2)]


def test_ml201_ml203_base_cuda_from_tags(make_project, monkeypatch):
    cuda118 = "FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04\n"
    files = {"Dockerfile": cuda118 + INSTALL, "requirements.txt": "torch==2.3.1\n"}  # PyPI default: CUDA 12.1
    assert lint(make_project, monkeypatch, files, "ML201") == [("ML201", "Dockerfile", 3)]
    pt = "FROM pytorch/pytorch:2.1.0-cuda11.8-cudnn8-runtime\n"  # the leading 2.1.0 is torch, not CUDA
    files = {"Dockerfile": pt + INSTALL, "requirements.txt": "torch==2.1.0+cu118\n"}
    assert lint(make_project, monkeypatch, files, "ML201") == []
    newer_base = "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n"  # wheel older minor of the same major: fine
    files = {"Dockerfile": newer_base + INSTALL, "requirements.txt": "torch==2.3.1+cu121\n"}
    assert lint(make_project, monkeypatch, files, "ML201", "ML203") == []
    cpu = "RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.3.1\n"
    files = {"Dockerfile": newer_base + cpu}
    assert lint(make_project, monkeypatch, files, "ML203") == [("ML203", "Dockerfile", 2)]


def test_ml201_reads_the_lock_runtime_pin(make_project, monkeypatch):
    files = {
        "Dockerfile": "FROM nvidia/cuda:11.8.0-runtime-ubuntu22.04\n" + INSTALL,
        "requirements.txt": "torch==2.9.0\nnvidia-cuda-runtime-cu12==12.8.90\n",
    }
    msgs = messages(make_project, monkeypatch, files, "ML201")
    assert len(msgs) == 1 and "CUDA 12.8" in msgs[0] and "nvidia-cuda-runtime" in msgs[0]


def test_ml202_names_the_later_member(make_project, monkeypatch):
    files = {"Dockerfile": SLIM + INSTALL, "requirements.txt": "torch==2.3.1+cu121\ntorchvision==0.18.1+cu121\n"}
    assert lint(make_project, monkeypatch, files, "ML202") == []
    df = SLIM + INSTALL + "RUN pip install torchaudio==2.3.1+cpu\n"
    files = {"Dockerfile": df, "requirements.txt": "torch==2.3.1+cu121\n"}
    assert lint(make_project, monkeypatch, files, "ML202") == [("ML202", "Dockerfile", 4)]


def test_ml204_devel_toolkit_skip_env_and_prebuilt_wheels(make_project, monkeypatch):
    rt = "FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04\n"
    assert lint(make_project, monkeypatch, {"Dockerfile": rt + "RUN pip install flash-attn==2.5.8\n"}, "ML204") == [
        ("ML204", "Dockerfile", 2)
    ]
    for df in (
        rt + "RUN apt-get install -y cuda-nvcc-12-1\nRUN pip install flash-attn==2.5.8\n",
        rt + "ENV FLASH_ATTENTION_SKIP_CUDA_BUILD=TRUE\nRUN pip install flash-attn==2.5.8\n",
        rt
        + "RUN pip install https://github.com/x/y/releases/download/v2/flash_attn-2.5.8+cu121-cp311-linux_x86_64.whl\n",
        "FROM nvidia/cuda:12.1.1-devel-ubuntu22.04\nRUN pip install flash-attn==2.5.8\n",
    ):
        assert lint(make_project, monkeypatch, {"Dockerfile": df}, "ML204") == [], df


def test_ml301_names_the_requirer_from_pip_compile_via(make_project, monkeypatch):
    req = (
        "# This file is autogenerated by pip-compile with Python 3.11\n"
        "albumentations==1.4.8\n    # via -r requirements.in\n"
        "opencv-python==4.10.0.84\n    # via -r requirements.in\n"
        "opencv-python-headless==4.10.0.84\n    # via\n    #   albumentations\n    #   qudida\n"
    )
    msgs = messages(make_project, monkeypatch, {"Dockerfile": SLIM + INSTALL, "requirements.txt": req}, "ML301")
    assert len(msgs) == 1 and "required by albumentations" in msgs[0] and "`cv2`" in msgs[0]


def test_ml301_ignores_windows_only_members(make_project, monkeypatch):
    req = 'tensorflow==2.15.0\ntensorflow-intel==2.15.0 ; platform_system == "Windows"\n'
    assert lint(make_project, monkeypatch, {"Dockerfile": SLIM + INSTALL, "requirements.txt": req}, "ML301") == []


def test_ml302_lock_without_linux_dependencies(make_project, monkeypatch):
    h = " --hash=sha256:" + "a" * 64
    df = SLIM + "COPY requirements.txt .\nRUN pip install --require-hashes -r requirements.txt\n"
    files = {"Dockerfile": df, "requirements.txt": f"torch==2.3.1{h}\nsympy==1.12{h}\n"}
    assert lint(make_project, monkeypatch, files, "ML302") == [("ML302", "requirements.txt", 1)]
    files["requirements.txt"] += f"triton==2.3.1{h}\n"
    assert lint(make_project, monkeypatch, files, "ML302") == []
    files["requirements.txt"] = f"torch==2.3.1+cpu{h}\n"
    assert lint(make_project, monkeypatch, files, "ML302") == []


APP = SLIM + INSTALL + "COPY . /app\n"


def test_ml401_literal_ids_local_paths_and_bake_evidence(make_project, monkeypatch):
    code = (
        "from transformers import AutoModel, pipeline\n"
        'a = AutoModel.from_pretrained("bert-base-uncased")\n'
        'b = AutoModel.from_pretrained("./models/bert")\n'
        "c = AutoModel.from_pretrained(name)\n"
        'd = AutoModel.from_pretrained("org/m", local_files_only=True)\n'
        'e = pipeline("summarization")\n'
        "import spacy, nltk\n"
        'f = spacy.load("en_core_web_sm")\n'
        'nltk.download("punkt")\n'
    )
    files = {"Dockerfile": APP, "requirements.txt": "transformers==4.44.0\nspacy==3.7.5\n", "app/predict.py": code}
    assert lint(make_project, monkeypatch, files, "ML401") == [
        ("ML401", "app/predict.py", 2),
        ("ML401", "app/predict.py", 6),
        ("ML401", "app/predict.py", 8),
        ("ML401", "app/predict.py", 9),
    ]


def test_ml401_baked_by_a_script_run_at_build_or_an_installed_model(make_project, monkeypatch):
    df = SLIM + INSTALL + "COPY . /app\nRUN python /app/download.py\n"
    files = {
        "Dockerfile": df,
        "requirements.txt": "transformers==4.44.0\nspacy==3.7.5\nen-core-web-sm==3.7.1\n",
        "app/download.py": 'from transformers import AutoModel\nAutoModel.from_pretrained("bert-base-uncased")\n',
        "app/predict.py": "import spacy\nfrom transformers import AutoModel\n"
        'm = AutoModel.from_pretrained("bert-base-uncased")\nn = spacy.load("en_core_web_sm")\n',
    }
    assert lint(make_project, monkeypatch, files, "ML401") == []


def test_ml402_root_cache_and_a_user(make_project, monkeypatch):
    bake = "RUN python -c \"from huggingface_hub import snapshot_download; snapshot_download('org/m')\"\n"
    df = SLIM + "RUN pip install huggingface-hub==0.24.5\n" + bake + "RUN useradd -m app\nUSER app\n"
    assert lint(make_project, monkeypatch, {"Dockerfile": df}, "ML402") == [("ML402", "Dockerfile", 3)]
    df2 = SLIM + "RUN pip install huggingface-hub==0.24.5\nUSER app\n" + bake
    assert lint(make_project, monkeypatch, {"Dockerfile": df2}, "ML402") == []
    # --local-dir / local_dir= write the files where they are named, not into root's cache
    local = "RUN huggingface-cli download org/m --local-dir /models/m\n"
    df3 = SLIM + "RUN pip install huggingface-hub==0.24.5\n" + local + "USER 65534\n"
    assert lint(make_project, monkeypatch, {"Dockerfile": df3}, "ML402") == []
    df4 = df.replace("snapshot_download('org/m')", "snapshot_download('org/m', local_dir='/models/m')")
    assert lint(make_project, monkeypatch, {"Dockerfile": df4}, "ML402") == []


def _torch_zip(location: str) -> bytes:
    buf = io.BytesIO()
    # the persistent id tuple torch writes (BINPERSID), built by hand without torch
    inner = b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01(X\x07\x00\x00\x00storageq\x02X\x0c\x00\x00\x00FloatStorage"
    inner += b"q\x03X\x01\x00\x00\x000q\x04X" + len(location).to_bytes(4, "little") + location.encode()
    inner += b"q\x05K\x04tq\x06Qs."
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", inner)
        zf.writestr("archive/data/0", b"\x00" * 16)
        zf.writestr("archive/version", b"3\n")
    return buf.getvalue()


def test_ml502_zip_checkpoint_on_cuda(make_project, monkeypatch):
    files = {
        "Dockerfile": APP,
        "requirements.txt": "torch==2.3.1\n",
        "app/ckpt.pt": _torch_zip("cuda:0"),
        "app/cpu.pt": _torch_zip("cpu"),
        "app/serve.py": 'import torch\na = torch.load("ckpt.pt")\nb = torch.load("cpu.pt")\n'
        'c = torch.load("ckpt.pt", map_location="cpu")\n',
    }
    assert lint(make_project, monkeypatch, files, "ML502") == [("ML502", "app/serve.py", 2)]


def test_ml501_formats(make_project, monkeypatch):
    sk = pickle.dumps({"_sklearn_version": "1.3.2", "coef_": [1.0]}, protocol=4)
    xgb = json.dumps({"learner": {}, "version": [2, 1, 0]}).encode()
    keras = io.BytesIO()
    with zipfile.ZipFile(keras, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "2.15.0"}))
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"")
    files = {
        "Dockerfile": APP,
        "requirements.txt": "scikit-learn==1.5.2\nxgboost==2.0.3\ntensorflow==2.16.1\nlightgbm==3.3.5\n",
        "app/clf.joblib": sk,
        "app/booster.json": xgb,
        "app/net.keras": keras.getvalue(),
        "app/lgb_model.txt": "tree\nversion=v4\nnum_class=1\n",
    }
    msgs = messages(make_project, monkeypatch, files, "ML501")
    assert len(msgs) == 4, msgs
    joined = "\n".join(msgs)
    assert "scikit-learn 1.3.2" in joined and "xgboost 2.1.0" in joined and "keras 2.15.0" in joined
    assert "format v4" in joined


def test_ml501_reads_only_what_the_image_gets(make_project, monkeypatch):
    sk = pickle.dumps({"_sklearn_version": "1.3.2"}, protocol=4)
    files = {"Dockerfile": APP, "requirements.txt": "scikit-learn==1.5.2\n", "app/clf.pkl": sk}
    assert lint(make_project, monkeypatch, files, "ML501") == [("ML501", "Dockerfile", 4)]
    files[".dockerignore"] = "**/*.pkl\n"  # never sent to the builder: not the image's business
    assert lint(make_project, monkeypatch, files, "ML501") == []
    del files[".dockerignore"]
    files["Dockerfile"] = "FROM python:3.11-slim AS data\nCOPY . /app\n" + SLIM + INSTALL  # a stage the image drops
    assert lint(make_project, monkeypatch, files, "ML501") == []


def test_ml501_joblib_zlib_with_raw_array_bytes(make_project, monkeypatch):
    import zlib

    body = pickle.dumps({"a": 1}, protocol=4)[:-1]  # an opcode stream interrupted by raw bytes, as joblib writes
    body += b"\x00\x01\x02\xff" * 100 + pickle.dumps({"_sklearn_version": "1.2.2"}, protocol=4)[2:]
    files = {"Dockerfile": APP, "requirements.txt": "scikit-learn==1.5.2\n", "app/m.joblib": zlib.compress(body)}
    msgs = messages(make_project, monkeypatch, files, "ML501")
    assert len(msgs) == 1 and "1.2.2" in msgs[0]


def test_ml601_lfs_pointer(make_project, monkeypatch):
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 1234\n"
    files = {"Dockerfile": SLIM + "COPY models/ /models/\n", "models/model.safetensors": pointer}
    files["models/x.txt"] = pointer  # not a model file name: not read
    assert lint(make_project, monkeypatch, files, "ML601") == []  # no ML library, no LFS attributes: no walk
    files[".gitattributes"] = "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    assert lint(make_project, monkeypatch, files, "ML601") == [("ML601", "Dockerfile", 2)]
    del files[".gitattributes"]
    files["requirements.txt"] = "safetensors==0.4.3\n"
    files["Dockerfile"] = SLIM + INSTALL + "COPY models/ /models/\n"
    assert lint(make_project, monkeypatch, files, "ML601") == [("ML601", "Dockerfile", 4)]


def test_ml601_a_file_copied_by_name_is_checked_whatever_its_suffix(make_project, monkeypatch):
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "cd" * 32 + "\nsize 99\n"
    files = {"Dockerfile": SLIM + "COPY weights.dat /w/\n", "weights.dat": pointer}
    assert lint(make_project, monkeypatch, files, "ML601") == [("ML601", "Dockerfile", 2)]


def test_ml_family_selected_from_the_config_file(make_project, monkeypatch):
    files = {
        "Dockerfile": SLIM + INSTALL,
        "requirements.txt": "lightgbm==4.3.0\n",
        "pyproject.toml": '[tool.reprocheck]\nselect = ["ML"]\n',
        ".git/HEAD": "ref: main\n",
    }
    root = make_project(files)
    monkeypatch.chdir(root)
    found = {f.rule for f in lint_paths(["."], LintOptions()).active}
    assert found == {"ML101"}


def test_ml701_needs_a_user_without_home_and_an_unset_variable(make_project, monkeypatch):
    req = {"requirements.txt": "librosa==0.10.2\nmatplotlib==3.9.0\n"}
    found = lint(make_project, monkeypatch, {"Dockerfile": SLIM + INSTALL + "USER 10001\n", **req}, "ML701")
    assert found == [("ML701", "Dockerfile", 4)]
    for tail in (
        "USER root\n",
        "RUN useradd -m app\nUSER app\n",
        "ENV NUMBA_CACHE_DIR=/tmp/n MPLCONFIGDIR=/tmp/m\nUSER 10001\n",
    ):
        assert lint(make_project, monkeypatch, {"Dockerfile": SLIM + INSTALL + tail, **req}, "ML701") == [], tail


def test_ml702_compiler_from_base_or_install_or_disabled(make_project, monkeypatch):
    code = {"app/serve.py": "import torch\n\n@torch.compile\ndef f(x):\n    return x\n"}
    req = {"requirements.txt": "torch==2.3.1\n"}
    found = lint(make_project, monkeypatch, {"Dockerfile": APP, **req, **code}, "ML702")
    assert found == [("ML702", "app/serve.py", 3)]
    for df in (
        APP.replace(SLIM, "FROM python:3.11\n"),
        APP + "RUN apt-get update && apt-get install -y g++\n",
        APP + "ENV TORCH_COMPILE_DISABLE=1\n",
        APP.replace(SLIM, "FROM mycorp/base:1\n"),
    ):
        assert lint(make_project, monkeypatch, {"Dockerfile": df, **req, **code}, "ML702") == [], df


def test_rules_command_lists_the_family():
    from tests.conftest import run_cli

    out = run_cli("rules", "--format", "json")
    assert out.code == 0
    ids = {r["id"] for r in json.loads(out.out)} if out.out.lstrip().startswith("[") else set()
    if not ids:
        data = json.loads(out.out)
        ids = {r["id"] for r in data.get("rules", [])}
    assert {rid for rid in META if rid.startswith("ML")} <= ids
