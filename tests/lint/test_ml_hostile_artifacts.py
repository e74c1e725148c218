"""A hostile artifact corpus: model files built to execute code, exhaust memory or hang a reader. The ML rules
read them (opcodes, bounded zip members, head and tail of big files) and must never execute, hang or crash:
each gives at most one clear line, and the lint ends in seconds."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

from reprocheck.lint.ml_artifacts import MAX_RATIO, MEMBER, read_artifact


class _Reduce:
    """A pickle payload: unpickling calls ``func(*args)``."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.func, self.args


def _evil(marker: Path) -> dict[str, bytes]:
    """Pickles that, if loaded, create ``marker`` (each through another door)."""
    import builtins

    cmd = f"touch {marker}"
    p0 = f"cos\nsystem\n(V{cmd}\ntR.".encode()
    inner = pickle.dumps({"_sklearn_version": "1.5.2", "x": _Reduce(os.system, cmd)}, protocol=4)
    ckpt = io.BytesIO()
    with zipfile.ZipFile(ckpt, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(_Reduce(os.system, cmd), protocol=2))
    return {
        "evil_p0.pkl": p0,
        "evil_p2.pkl": pickle.dumps(_Reduce(os.system, cmd), protocol=2),
        "evil_p5.pkl": pickle.dumps([1, _Reduce(subprocess.call, ["sh", "-c", cmd])], protocol=5),
        "evil_eval.pkl": pickle.dumps(_Reduce(builtins.eval, f"__import__('os').system('{cmd}')"), protocol=4),
        "evil_sklearn.joblib": zlib.compress(inner),
        "evil_ckpt.pt": ckpt.getvalue(),
    }


def _bomb(name: str, size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, b"\x00" * size)
        zf.writestr("config.json", "{}")
    return buf.getvalue()


def _lying_zip() -> bytes:
    """A zip whose central directory claims 65535 entries (zip64 escape): zipfile would read it all."""
    return b"PK\x03\x04" + b"\x00" * 64 + b"PK\x05\x06" + b"\x00" * 4 + b"\xff\xff" * 2 + b"\x00" * 10


def _hostile(root: Path, marker: Path) -> dict[str, str]:
    """Write the corpus under root/models; return file -> what its one line must say."""
    models = root / "models"
    models.mkdir(parents=True)
    expect: dict[str, str] = {}
    for name, data in _evil(marker).items():
        (models / name).write_bytes(data)
        expect[name] = "calls"
    (models / "bomb.pt").write_bytes(_bomb("archive/data.pkl", 4 * MEMBER))  # past the member cap
    expect["bomb.pt"] = "bytes uncompressed"
    (models / "bomb.keras").write_bytes(_bomb("metadata.json", MEMBER // 2))  # under the cap, 1000-fold ratio
    expect["bomb.keras"] = "inflates"
    (models / "entries.pt").write_bytes(_lying_zip())
    expect["entries.pt"] = "entries"
    sk = pickle.dumps({"_sklearn_version": "1.5.2", "coef_": list(range(50))}, protocol=4)
    (models / "truncated.pkl").write_bytes(sk[: len(sk) // 3])
    expect["truncated.pkl"] = "truncated"
    ok = io.BytesIO()
    with zipfile.ZipFile(ok, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"a": 1}, protocol=2))
    (models / "truncated.pt").write_bytes(ok.getvalue()[:-30])
    expect["truncated.pt"] = "truncated"
    with open(models / "huge.pkl", "wb") as fh:  # 2 GB, sparse: a pickle header and then nothing
        fh.write(b"\x80\x04\x95")
        fh.truncate(2 * 1024**3)
    expect["huge.pkl"] = "truncated"
    os.mkfifo(models / "fifo.pkl")  # opening it for reading would block forever
    (models / "link.pkl").symlink_to("/etc/passwd")
    return expect


def test_hostile_artifacts_execute_nothing_hang_nothing_one_line_each(tmp_path):
    marker = tmp_path / "PWNED"
    project = tmp_path / "p"
    expect = _hostile(project, marker)
    (project / ".git").mkdir()
    (project / "Dockerfile").write_text(
        "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY models/ /models/\n"
    )
    (project / "requirements.txt").write_text("scikit-learn==1.5.2\ntorch==2.3.1\nkeras==3.4.1\n")
    start = time.monotonic()
    proc = subprocess.run(  # a hang fails the test (TimeoutExpired) instead of the suite
        [sys.executable, "-m", "reprocheck", "lint", "--isolated", "--select", "ML", "--format", "json", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - start
    assert not marker.exists(), "a hostile pickle was executed"
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert elapsed < 60, elapsed
    findings = json.loads(proc.stdout)["findings"]
    for name, words in expect.items():
        lines = [f for f in findings if f"models/{name}" in f["message"]]
        assert len(lines) == 1, (name, lines)
        assert words in lines[0]["message"], (name, lines[0]["message"])
        assert lines[0]["rule"] == "ML503" and lines[0]["line"] == 4 and "\n" not in lines[0]["message"]
    for silent in ("fifo.pkl", "link.pkl"):  # special files and links out of the context are never opened
        assert not [f for f in findings if silent in f["message"]]
    # nothing but the one line per hostile file: no finding on the Dockerfile names a model otherwise
    assert len([f for f in findings if "models/" in f["message"]]) == len(expect)


def test_reader_bounds_a_huge_file_in_time_and_reads_no_more(tmp_path):
    path = tmp_path / "huge.pt"
    with open(path, "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(2 * 1024**3)
    start = time.monotonic()
    got = read_artifact(path, "huge.pt", 3, tmp_path)
    assert time.monotonic() - start < 10
    assert got is not None and got.kind == "unreadable" and "central directory" in got.detail


def test_reader_refuses_links_out_of_the_context(tmp_path):
    outside = tmp_path / "secret.pkl"
    outside.write_bytes(pickle.dumps({"_sklearn_version": "1.0"}))
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "m.pkl").symlink_to(outside)
    got = read_artifact(ctx / "m.pkl", "m.pkl", 2, ctx)
    assert got is not None and got.kind == "unreadable" and "outside" not in got.version


def test_bomb_ratio_is_what_stops_it():
    assert MAX_RATIO <= 1000 and MEMBER <= 64 * 1024 * 1024


def test_reader_reads_what_the_real_libraries_write():
    data = Path(__file__).resolve().parents[1] / "data" / "ml_artifacts"
    got = {p.name: read_artifact(p, p.name, 1, data) for p in sorted(data.iterdir()) if p.name != "README.md"}
    assert {k: (v.kind, v.version) if v else None for k, v in got.items()} == {
        "lgb_model.txt": ("lightgbm", "v4"),
        "rfxz.joblib": ("sklearn", "1.9.1"),
        "rfz.joblib": ("sklearn", "1.9.1"),
        "xgb_model.json": ("xgboost", "3.2.0"),
        "xgb_model.ubj": ("xgboost", "3.2.0"),
    }
