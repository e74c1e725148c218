"""The static half stays fast and apart from the Docker side (pip-tools' test_circular_imports is the model)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = (
    "docker",
    "testcontainers",
    "piptools",
    "pip",
    "reprocheck.backend",
    "reprocheck.smoke",
    "reprocheck.verify",
    "reprocheck.rebuild",
    "reprocheck.runtime",
)


def test_lint_command_does_not_import_the_docker_side(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\nRUN pip install 'numpy>=1' && curl -s https://x | sh\n")
    code = (
        "import sys\n"
        "from reprocheck.cli.app import main\n"
        f"rc = main(['lint', {str(tmp_path / 'Dockerfile')!r}, '--format', 'sarif', '--isolated'])\n"
        f"heavy = {HEAVY!r}\n"
        "mods = sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy))\n"
        "print('MODULES', mods, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "MODULES []" in proc.stderr, proc.stderr


def test_audit_without_check_does_not_import_the_docker_side(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM python:3.11\nRUN pip install numpy\n")
    code = (
        "import sys\n"
        "from reprocheck.cli.app import main\n"
        f"rc = main(['audit', {str(tmp_path)!r}, '--workers', '1', '--format', 'json'])\n"
        f"heavy = {HEAVY!r}\n"
        "mods = sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy))\n"
        "print('MODULES', mods, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "MODULES []" in proc.stderr, proc.stderr


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter is not installed")
def test_import_linter_contracts_hold():
    proc = subprocess.run(["lint-imports"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "broken" in proc.stdout and "0 broken" in proc.stdout
