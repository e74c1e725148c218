"""Tiny, valid wheels built on the spot: resolvers and installers read them like any other."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(
    dest: Path,
    name: str,
    version: str,
    requires: tuple[str, ...] = (),
    tag: str = "py3-none-any",
    code: str = "",
    scripts: tuple[str, ...] = (),
    module: str | None = None,
) -> Path:
    """Write ``<name>-<version>-<tag>.whl`` into ``dest`` and return its path. Deterministic bytes. ``module``:
    the import package it installs, when not its name (two distributions of one package, as OpenCV's)."""
    dist = name.replace("-", "_")
    module = module or dist
    dist_info = f"{dist}-{version}.dist-info"
    metadata = (
        "\n".join(
            [
                "Metadata-Version: 2.1",
                f"Name: {name}",
                f"Version: {version}",
                *(f"Requires-Dist: {r}" for r in requires),
            ]
        )
        + "\n"
    )
    purelib = "true" if tag.endswith("-any") else "false"
    wheel_meta = f"Wheel-Version: 1.0\nGenerator: reprocheck-tests\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"
    files = {
        f"{module}/__init__.py": (code or f'__version__ = "{version}"\n').encode(),
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": wheel_meta.encode(),
    }
    if scripts:  # "serve-model = servekit:main": pip writes the console script at install
        files[f"{dist_info}/entry_points.txt"] = ("[console_scripts]\n" + "\n".join(scripts) + "\n").encode()
    record = [_record_line(n, d) for n, d in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in files.items():
            info = zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return path


def locked_venv(project: Path, venv: Path) -> Path:
    """A virtual environment at ``venv`` with the project's hashed lock installed from its staged wheels (what
    a team's developer has on the host for ``record``); its ``bin`` directory."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links",
         str(project / "wheels"), "--require-hashes", "-r", str(project / "requirements.txt")],
        check=True, timeout=600, env={**os.environ, "PIP_CONSTRAINT": ""},
    )  # fmt: skip
    return venv / "bin"
