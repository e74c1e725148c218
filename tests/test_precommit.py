"""The pre-commit hook runs the real entry point on the files discovery would lint."""

from __future__ import annotations

import re
from typing import Any

import yaml

from reprocheck.lint.discover import kind_of
from tests.conftest import ROOT


def _hooks() -> dict[str, Any]:
    return {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def test_hook_definition():
    hook = _hooks()["reprocheck-lint"]
    assert hook["entry"] == "reprocheck lint"
    assert hook["language"] == "python"  # `system` is deprecated (unsupported since pre-commit 4.4)
    assert "stages" not in hook  # runs on every commit


def test_check_hook_runs_only_when_asked():
    """The full check needs an engine and minutes: manual stage, once per run, on the whole project."""
    hook = _hooks()["reprocheck-check"]
    assert hook["entry"] == "reprocheck check"
    assert hook["language"] == "python"
    assert hook["stages"] == ["manual"]
    assert hook["pass_filenames"] is False and hook["always_run"] is True


def test_hook_files_pattern_agrees_with_discovery():
    hook = _hooks()["reprocheck-lint"]
    pattern = re.compile(hook["files"])
    paths = [p.relative_to(ROOT).as_posix() for p in (ROOT / "fixtures").rglob("*") if p.is_file()]
    paths += ["requirements/dev.in", "svc/api.Dockerfile", "Containerfile", "conda-linux-64.lock", "notes.txt"]
    for path in paths:
        assert bool(pattern.search(path)) == (kind_of(path) is not None), path


def test_this_repositorys_hooks_use_the_tool_versions_of_the_development_lock():
    """ruff, mypy and the packages mypy's hook installs are the versions CI runs (ci/requirements-dev.txt)."""
    locked = dict(
        re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", (ROOT / "ci" / "requirements-dev.txt").read_text(), re.M)
    )
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    pins: dict[str, str] = {}
    for repo in config["repos"]:
        if repo["repo"].endswith("/ruff-pre-commit"):
            pins["ruff"] = repo["rev"].lstrip("v")
        for hook in repo["hooks"]:
            for dep in hook.get("additional_dependencies", []):
                name, sep, version = dep.partition("==")
                assert sep, f"{hook['id']}: {dep} is not pinned"
                pins[name.lower()] = version
    assert pins and "ruff" in pins and "mypy" in pins
    for name, version in pins.items():
        assert locked.get(name) == version, (
            f"{name}: the hooks pin {version}, ci/requirements-dev.txt {locked.get(name)}"
        )
