"""Headless Chromium (Debian's ``chromium``) for the HTML report tests: the DOM after the page ran, and a
screenshot. Flags as this machine needs them: no sandbox as root, no GPU, no background networking (the
network is closed), a fresh profile each time."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
)


def chromium_or_skip() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    return found


def _run(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    browser = chromium_or_skip()
    with tempfile.TemporaryDirectory(prefix="reprocheck-chromium-") as profile:
        return subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def dom(page: Path) -> str:
    """The document as Chromium holds it once the page has loaded (its own scripts, if any, have run)."""
    done = _run(page, "--dump-dom", "--virtual-time-budget=2000")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, png: Path, size: str = "1200,1600") -> Path:
    done = _run(page, f"--screenshot={png}", f"--window-size={size}")
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return png
