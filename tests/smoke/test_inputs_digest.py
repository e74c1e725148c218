"""The inputs digest meets a hostile build context: special files are digested as the build sends them (links as
links, FIFOs and devices as headers), never opened, never hung on; and a record does not invalidate the image."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from reprocheck.backend.inputs import context_files, inputs_digest
from reprocheck.lint.dockerignore import DockerIgnore
from reprocheck.model.build import ImageSource
from reprocheck.smoke.spec import load_spec, not_copied


def digest_within(source: ImageSource, seconds: float = 20.0) -> str:
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["digest"] = inputs_digest(source)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the inputs digest hangs"
    assert "error" not in box, box.get("error")
    return str(box["digest"])


def test_fifo_dev_zero_link_and_dangling_link_neither_hang_nor_crash(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM a\nCOPY . /app\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    source = ImageSource("p", tmp_path, tmp_path / "Dockerfile")
    plain = digest_within(source)
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/dev/zero", tmp_path / "zero")
    os.symlink("missing-target", tmp_path / "dangling")
    os.symlink("/etc", tmp_path / "etc-dir")
    (tmp_path / "sub").mkdir()
    os.symlink("../app.py", tmp_path / "sub" / "again.py")
    hostile = digest_within(source)
    assert hostile != plain
    files = [rel for rel, _ in context_files(tmp_path, DockerIgnore.for_context(tmp_path, tmp_path / "Dockerfile"))]
    assert {"fifo", "zero", "dangling", "etc-dir", "sub/again.py"} <= set(files)
    # a link is its target, not what it points at: retargeting it changes the digest
    os.unlink(tmp_path / "dangling")
    os.symlink("other-target", tmp_path / "dangling")
    assert digest_within(source) != hostile


def test_not_copied_reads_the_copy_sources(tmp_path: Path):
    df = tmp_path / "Dockerfile"
    golden = tmp_path / "golden" / "out.json"
    record = tmp_path / "golden" / "out.json.env.json"
    cases = {
        "FROM a\nCOPY predict.py model.joblib ./\n": {"golden/out.json", "golden/out.json.env.json"},
        "FROM a\nCOPY . /app\n": set(),
        "FROM a\nCOPY golden/ /g/\n": set(),
        "FROM a\nCOPY golden/*.json /g/\n": set(),
        "FROM a\nCOPY ${SRC} /x\n": set(),
        "FROM a AS b\nFROM c\nCOPY --from=b . /x\nCOPY app.py /x/\n": {"golden/out.json", "golden/out.json.env.json"},
    }
    for text, skipped in cases.items():
        df.write_text(text)
        assert not_copied(df, tmp_path, (golden, record)) == skipped, text


def test_record_files_the_build_does_not_copy_stay_out_of_the_digest(make_project: Any):
    root = make_project(
        {
            "pyproject.toml": '[tool.reprocheck.smoke]\ncommand = ["python", "p.py"]\ngolden = "golden/out.json"\n',
            "Dockerfile": "FROM a\nCOPY p.py /app/\n",
            "p.py": "print(1)\n",
            "golden/out.json": "1\n",
            "golden/out.json.env.json": '{"recorded": "2026-01-01T00:00:00"}\n',
        }
    )
    source = load_spec(None, root).source
    first = inputs_digest(source, source.volatile)
    (root / "golden" / "out.json.env.json").write_text('{"recorded": "2026-12-02T07:00:00"}\n')
    (root / "golden" / "out.json").write_text("2\n")
    assert inputs_digest(source, source.volatile) == first
    (root / "p.py").write_text("print(2)\n")
    assert inputs_digest(source, source.volatile) != first
    (root / "Dockerfile").write_text("FROM a\nCOPY . /app/\n")  # now the golden is in the image: it counts
    copied = load_spec(None, root).source
    assert copied.volatile == frozenset()
