"""Issue 24 fault 5 on the real engine and through the real command line: a prediction printing JSON 100k
deep, 900 deep with another leaf, a record 100k deep, and a sparse golden of 512 MiB."""

from __future__ import annotations

import json
import resource

import pytest

from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, engine_or_skip

PYPROJECT = '[tool.reprocheck.smoke]\ncommand = ["python3", "p.py"]\ngolden = "golden.json"\ncompare = "json"\n'
DOCKERFILE = f"FROM {BASE_IMAGE}\nCOPY p.py /app/\nWORKDIR /app\n"


def test_a_sparse_golden_is_refused_before_any_work_with_flat_memory(make_project):
    project = make_project({"pyproject.toml": PYPROJECT, "Dockerfile": DOCKERFILE, "p.py": "print([1])\n"})
    with (project / "golden.json").open("wb") as fh:
        fh.truncate(512 * 1024**2)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = run_cli("smoke", "--progress", "quiet", cwd=project)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert r.code == 2, r.err
    assert "pyproject.toml:3: error: smoke.golden: `golden.json` is larger than max-output = 16m" in r.err
    assert max(peak_kib, before) < 400 * 1024  # KiB: it was 5.3 GB


@pytest.mark.engine
def test_deep_json_from_the_container_is_a_finding(make_project):
    engine_or_skip()
    deep = "[" * 100_000 + "]" * 100_000
    files = {
        "pyproject.toml": PYPROJECT,
        "Dockerfile": DOCKERFILE,
        "p.py": f"import sys\nsys.stdout.write({deep!r})\n",
        "golden.json": "[1]\n",
        "golden.json.env.json": '{"python": ' + deep + "}",  # the record the diagnosis reads
    }
    project = make_project(files)
    try:
        r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
        assert r.code == 1, r.err[-2000:]
        data = json.loads(r.out)
        hints = " ".join(f.get("hint", "") for f in data["findings"])
        assert "the output is nested deeper than 128 levels: it is not compared" in hints
        # 900 deep on both sides, another leaf: judged, reported, no RecursionError in the report
        (project / "p.py").write_text("import sys\nsys.stdout.write('[' * 900 + '2' + ']' * 900)\n")
        (project / "golden.json").write_text("[" * 900 + "1" + "]" * 900)
        for fmt in ("json", "text", "sarif", "junit", "markdown", "github"):
            r = run_cli("smoke", "--progress", "quiet", "--format", fmt, cwd=project)
            assert r.code == 1 and "internal error" not in r.err, (fmt, r.err[-2000:])
            if fmt in ("json", "text", "sarif", "junit"):  # the formats that carry the hint
                assert "nested deeper than 128 levels" in r.out, fmt
    finally:
        run_cli("clean", str(project))
