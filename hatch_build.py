"""Build hooks: the version comes from git (reprocheck/_gitversion.py), and every wheel carries the version and
commit it was built from in ``reprocheck/_build_info.py``, so ``reprocheck --version`` names the commit of an
installed copy too. Building from an sdist (no .git) reads the ``_build_info.py`` the sdist carries."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface

INFO = Path("reprocheck") / "_build_info.py"


def _gitversion(root: str) -> Any:
    path = Path(root) / "reprocheck" / "_gitversion.py"
    spec = importlib.util.spec_from_file_location("_reprocheck_gitversion", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def version_and_commit(root: str) -> tuple[str, str]:
    found = _gitversion(root).from_git(Path(root))
    if found is not None:
        return found
    info = Path(root) / INFO
    if info.is_file():
        text = info.read_text(encoding="utf-8")
        version = re.search(r"^VERSION = '([^']*)'", text, re.MULTILINE)
        commit = re.search(r"^COMMIT = '([^']*)'", text, re.MULTILINE)
        if version and commit:
            return version.group(1), commit.group(1)
    return "0.1.dev0", ""


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        metadata["version"] = version_and_commit(self.root)[0]


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        found = _gitversion(self.root).from_git(Path(self.root))
        if found is None:
            return  # an sdist: its _build_info.py is already among the files
        info = Path(self.root) / INFO
        text = _gitversion(self.root).build_info(*found)
        if not info.is_file() or info.read_text(encoding="utf-8") != text:
            info.write_text(text, encoding="utf-8")
