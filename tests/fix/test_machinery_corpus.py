"""fix over every Dockerfile of ../shared/corpus: what it writes still parses, and a second fix changes nothing.
Registry digests come from a table (no network here); the other look-ups refuse under --offline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reprocheck.fix import FixOptions, fix_paths
from reprocheck.lint.discover import DOCKERFILE_NAME
from reprocheck.lint.run import LintOptions, lint_paths
from tests.conftest import corpus_or_skip

pytestmark = pytest.mark.corpus
FAKE = "sha256:" + "0" * 64


def test_fix_never_breaks_a_corpus_dockerfile_and_is_idempotent(tmp_path: Path, monkeypatch):
    corpus = corpus_or_skip()
    monkeypatch.setattr("reprocheck.fix.base_image.digest_for", lambda ctx, image: FAKE)
    files = sorted(Path(d) / f for d, _, names in os.walk(corpus) for f in names if DOCKERFILE_NAME.search(f))
    options, lint = FixOptions(unsafe=True, offline=True), LintOptions(isolated=True)
    problems, fixed = [], 0
    for k, src in enumerate(files):
        project = tmp_path / str(k)
        project.mkdir()
        shutil.copyfile(src, project / "Dockerfile")
        monkeypatch.chdir(project)
        before = sum(f.rule == "RC900" for f in lint_paths(["."], lint).active)
        result = fix_paths(["."], lint, options)
        fixed += result.fixed
        after = sum(f.rule == "RC900" for f in result.report.active)
        again = fix_paths(["."], lint, options, diff=True)
        if after > before or again.diff or result.refused:
            problems.append(f"{src}: RC900 {before}->{after}, refused {result.refused}, second diff {again.diff[:300]}")
    assert not problems, "\n".join(problems[:10])
    assert fixed > len(files) // 2  # most corpus Dockerfiles have a tag to pin
