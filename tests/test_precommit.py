"""The pre-commit hook runs the real entry point on the files discovery would lint."""

from __future__ import annotations

import re

import yaml

from reprocheck.engine.discover import kind_of
from tests.conftest import ROOT


def test_hook_definition():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "reprocheck-lint"
    assert hook["entry"] == "reprocheck lint"
    assert hook["language"] == "python"  # `system` is deprecated (unsupported since pre-commit 4.4)


def test_hook_files_pattern_agrees_with_discovery():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(hook["files"])
    paths = [p.relative_to(ROOT).as_posix() for p in (ROOT / "fixtures").rglob("*") if p.is_file()]
    paths += ["requirements/dev.in", "svc/api.Dockerfile", "Containerfile", "conda-linux-64.lock", "notes.txt"]
    for path in paths:
        assert bool(pattern.search(path)) == (kind_of(path) is not None), path
