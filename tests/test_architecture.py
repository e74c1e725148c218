"""The static half stays fast and apart from the Docker side (pip-tools' test_circular_imports is the model)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = (
    "docker",
    "piptools",
    "pip",
    "reprocheck.backend",
    "reprocheck.smoke",
    "reprocheck.verify",
    "reprocheck.rebuild",
    "reprocheck.runtime",
    "reprocheck.fix",
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


# What a one-file `reprocheck lint` (the pre-commit hook) must not load: start-up is its whole cost.
NOT_FOR_ONE_FILE_LINT = (
    *HEAVY,
    "rich",
    "jsonschema",
    "yaml",
    "tomllib",
    "multiprocessing",
    "concurrent",
    "hashlib",  # fingerprints use the interpreter's own SHA-256: hashlib loads OpenSSL
    "json",  # plain exec forms are read without it; baselines and drift rules import it when used
    "glob",
    "reprocheck.lint.parallel",  # one Dockerfile never needs the pool
    "reprocheck.audit",
    "reprocheck.check",
    "reprocheck.catalogue",
    "reprocheck.runtime",
    *(f"reprocheck.cli.{c}" for c in ("audit", "check", "clean", "rebuild", "record", "rules", "smoke", "verify")),
    *(f"reprocheck.report.{r}" for r in ("json", "sarif", "junit", "github", "summary", "audit_table")),
    *(f"reprocheck.parsing.{p}" for p in ("conda_env", "pipfile", "poetry_lock", "pyproject", "uv_lock")),
)


def _imported_by_lint(tmp_path, *args: str) -> set[str]:
    code = (
        "import sys\n"
        "from reprocheck.cli.app import main\n"
        f"rc = main(['lint', *{list(args)!r}])\n"
        "print('MODULES', sorted(sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "MODULES " in proc.stderr, proc.stderr
    return set(eval(proc.stderr.split("MODULES ", 1)[1]))


def _loaded(modules: set[str], names) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_one_file_lint_imports_only_what_lint_needs(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11\nCOPY requirements.txt .\nRUN pip install -r requirements.txt && curl -s https://x | sh\n"
        'CMD ["python", "app.py"]\n'
    )
    (tmp_path / "requirements.txt").write_text("numpy>=1\n")
    modules = _imported_by_lint(tmp_path, "Dockerfile", "--isolated")
    assert {"reprocheck.cli.lint", "reprocheck.report.text", "reprocheck.parsing.requirements_file"} <= modules
    assert _loaded(modules, NOT_FOR_ONE_FILE_LINT) == []


def test_lint_imports_the_asked_format_and_the_parsers_of_the_files_met(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\nCOPY environment.yml .\nRUN conda env update\n")
    (tmp_path / "environment.yml").write_text("dependencies:\n  - numpy\n")
    modules = _imported_by_lint(tmp_path, ".", "--isolated", "--format", "sarif")
    assert {"reprocheck.report.sarif", "reprocheck.parsing.conda_env", "yaml"} <= modules
    assert "reprocheck.report.text" not in modules
    assert _loaded(modules, HEAVY) == []


def test_an_import_contract_keeps_fix_off_the_docker_side_except_through_runtime():
    """``lint-imports`` covers fix/: it may reach the engine, smoke's spec and verify's probe only through
    reprocheck.runtime.for_fix (the contract is checked to exist; test_import_linter_contracts_hold runs it)."""
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    mine = [c for c in contracts if c.get("source_modules") == ["reprocheck.fix"] and c["type"] == "forbidden"]
    assert mine, "no import contract has reprocheck.fix as its source"
    docker_side = {"docker", "reprocheck.backend", "reprocheck.smoke", "reprocheck.verify"}
    assert docker_side <= set(mine[0]["forbidden_modules"])


def test_the_architecture_map_is_linked_from_the_readme_and_names_modules_that_exist():
    """ARCHITECTURE.md names modules by path (`lint/run.py`, `reprocheck/fix/<family>.py`...): each concrete
    one exists, under reprocheck/ or at the top of the repository, so the map cannot drift from the code."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](ARCHITECTURE.md)" in readme.split("## Develop", 1)[1]
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)`", text))
    assert len(paths) > 40
    missing = [p for p in sorted(paths) if not (ROOT / p).is_file() and not (ROOT / "reprocheck" / p).is_file()]
    assert not missing, missing


def test_the_engine_client_is_chosen_and_opened_in_one_place():
    """Only reprocheck/runtime/engine.py (``open_backend``, ``connect``) chooses and opens the client, and only
    the backend constructs the SDK's: the CLI, fix, the tests' support and the benchmarks open the engine
    through it, so a choice made there (the client, its timeout, its labels) holds everywhere."""
    import re

    opening = re.compile(r"\bDockerBackend\(|\bdocker\.from_env\(|\bDockerClient\(|\bAPIClient\(")
    allowed = {ROOT / "reprocheck" / "runtime" / "engine.py"}
    found = []
    for path in sorted(p for top in ("reprocheck", "tests", "bench", "scripts") for p in (ROOT / top).rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if path in allowed or name.startswith("reprocheck/backend/") or name == "tests/test_architecture.py":
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}" for m in opening.finditer(text)]
    assert not found, found
    assert opening.search((ROOT / "reprocheck" / "runtime" / "engine.py").read_text(encoding="utf-8"))
