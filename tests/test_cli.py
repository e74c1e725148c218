"""Exit codes, formats, config and errors through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import run_cli

D = "sha256:" + "a" * 64
CLEAN = f"FROM python:3.11.9-slim@{D}\nRUN pip install --no-cache-dir numpy==1.26.4\n"
DIRTY = "FROM python\nRUN pip install numpy\n"


def test_clean_file_exits_0(make_project):
    root = make_project({"Dockerfile": CLEAN})
    r = run_cli("lint", "Dockerfile", cwd=root)
    assert r.code == 0, r.err
    assert "No problems in 1 file" in r.out


def test_findings_exit_1_and_text_is_grouped_with_title_and_hint(make_project):
    root = make_project({"Dockerfile": DIRTY})
    r = run_cli("lint", "Dockerfile", "--color", "never", cwd=root)
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[0] == "Dockerfile"
    assert "RC101 unpinned-base-image" in r.out and "hint:" in r.out and "rule:" in r.out
    assert "\x1b[" not in r.out


def test_color_only_when_asked_or_on_a_terminal(make_project):
    root = make_project({"Dockerfile": DIRTY})
    assert "\x1b[" in run_cli("lint", "Dockerfile", "--color", "always", cwd=root).out
    assert "\x1b[" not in run_cli("lint", "Dockerfile", cwd=root).out  # a pipe is not a terminal


def test_json_contract(make_project):
    root = make_project({"Dockerfile": DIRTY})
    r = run_cli("lint", "--format", "json", "Dockerfile", cwd=root)
    assert r.code == 1
    data = r.json()
    assert data["version"] == 1
    f0 = data["findings"][0]
    assert {"rule", "severity", "path", "line", "message"} <= set(f0)
    assert (f0["rule"], f0["path"], f0["line"], f0["severity"]) == ("RC101", "Dockerfile", 1, "error")
    assert f0["column"] == 6
    assert data["summary"]["failed"] is True


def test_json_paths_relative_as_given_for_directories(make_project):
    root = make_project({"svc/Dockerfile": DIRTY})
    data = run_cli("lint", "--format", "json", ".", cwd=root).json()
    assert {f["path"] for f in data["findings"]} == {"svc/Dockerfile"}
    data = run_cli("lint", "--format", "json", "svc", cwd=root).json()
    assert {f["path"] for f in data["findings"]} == {"svc/Dockerfile"}


def test_failure_threshold_and_severity_override(make_project):
    root = make_project({"Dockerfile": "FROM python:3.11\n"})  # RC102 warning only
    assert run_cli("lint", "Dockerfile", cwd=root).code == 1
    assert run_cli("lint", "Dockerfile", "--failure-threshold", "error", cwd=root).code == 0
    (root / ".reprocheck.toml").write_text('[severity]\nRC102 = "info"\n')
    assert run_cli("lint", "Dockerfile", cwd=root).code == 0
    r = run_cli("lint", "Dockerfile", "--failure-threshold", "info", cwd=root)
    assert r.code == 1 and "info" in r.out


def test_select_and_ignore_flags(make_project):
    root = make_project({"Dockerfile": DIRTY})
    data = run_cli("lint", "-f", "json", "--select", "RC3", "Dockerfile", cwd=root).json()
    assert {f["rule"] for f in data["findings"]} == {"RC301"}
    data = run_cli("lint", "-f", "json", "--ignore", "RC301,unpinned-base-image", "Dockerfile", cwd=root).json()
    assert data["findings"] == []
    r = run_cli("lint", "--select", "RC999", "Dockerfile", cwd=root)
    assert r.code == 2 and "RC999" in r.err and "Traceback" not in r.err


def test_config_pyproject_and_bad_config_error_line(make_project):
    root = make_project(
        {
            "Dockerfile": DIRTY,
            "pyproject.toml": '[project]\nname = "x"\n[tool.reprocheck]\nignore = ["RC1"]\n',
        }
    )
    data = run_cli("lint", "-f", "json", "Dockerfile", cwd=root).json()
    assert {f["rule"] for f in data["findings"]} == {"RC301"}
    (root / "pyproject.toml").write_text('[tool.reprocheck]\nignore = ["RC1"]\nfailure-threshold = "sometimes"\n')
    r = run_cli("lint", "Dockerfile", cwd=root)
    assert r.code == 2
    assert r.err.strip().splitlines() == [r.err.strip()]
    assert "pyproject.toml:3: error:" in r.err and "Traceback" not in r.err
    (root / "pyproject.toml").write_text("[tool.reprocheck\n")
    r = run_cli("lint", "Dockerfile", cwd=root)
    assert r.code == 2 and "pyproject.toml:1: error: invalid TOML" in r.err
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n[tool]\nreprocheck = 3\n')
    r = run_cli("lint", "Dockerfile", cwd=root)
    assert r.code == 2 and "pyproject.toml:4: error: `tool.reprocheck` must be a table" in r.err, r.err
    assert "Traceback" not in r.err


def test_isolated_and_explicit_config(make_project):
    root = make_project(
        {"Dockerfile": DIRTY, ".reprocheck.toml": 'ignore = ["RC"]\n', "alt.toml": 'select = ["RC101"]\n'}
    )
    assert run_cli("lint", "Dockerfile", cwd=root).code == 0
    assert run_cli("lint", "--isolated", "Dockerfile", cwd=root).code == 1
    data = run_cli("lint", "-f", "json", "--config", "alt.toml", "Dockerfile", cwd=root).json()
    assert {f["rule"] for f in data["findings"]} == {"RC101"}
    r = run_cli("lint", "--config", "missing.toml", "Dockerfile", cwd=root)
    assert r.code == 2 and "missing.toml: error: config file not found" in r.err


def test_stdin_with_filename(tmp_path):
    r = run_cli("lint", "-f", "json", "--stdin-filename", "docker/Dockerfile", "-", stdin=DIRTY, cwd=tmp_path)
    assert r.code == 1
    assert {f["path"] for f in r.json()["findings"]} == {"docker/Dockerfile"}


def test_missing_path_is_exit_2_with_one_line(tmp_path):
    r = run_cli("lint", "nope/Dockerfile", cwd=tmp_path)
    assert r.code == 2
    assert r.err.strip() == "nope/Dockerfile: error: no such file or directory"


def test_unknown_format_and_output_pairs(make_project):
    root = make_project({"Dockerfile": DIRTY})
    assert run_cli("lint", "-f", "yaml", "Dockerfile", cwd=root).code == 2
    r = run_cli("lint", "-f", "json", "-f", "text", "Dockerfile", cwd=root)
    assert r.code == 2 and "only one format can go to standard output" in r.err
    r = run_cli(
        "lint",
        "-f",
        "sarif",
        "-o",
        "out.sarif",
        "-f",
        "junit",
        "-o",
        "out.xml",
        "-f",
        "text",
        "Dockerfile",
        cwd=root,
    )
    assert r.code == 1
    assert json.loads((root / "out.sarif").read_text())["version"] == "2.1.0"
    ET.fromstring((root / "out.xml").read_text())
    assert "RC101" in r.out


def test_output_write_is_atomic_and_keeps_mode(make_project):
    root = make_project({"Dockerfile": DIRTY, "report.json": "old"})
    os.chmod(root / "report.json", 0o640)
    run_cli("lint", "-f", "json", "-o", "report.json", "Dockerfile", cwd=root)
    assert json.loads((root / "report.json").read_text())["version"] == 1
    assert (root / "report.json").stat().st_mode & 0o777 == 0o640
    assert [p.name for p in root.iterdir() if p.name.startswith(".report")] == []
    r = run_cli("lint", "-f", "json", "-o", "no/such/dir/r.json", "Dockerfile", cwd=root)
    assert r.code == 2 and "does not exist" in r.err


def test_lint_never_modifies_the_input(make_project):
    root = make_project({"Dockerfile": DIRTY})
    before = (root / "Dockerfile").read_bytes(), (root / "Dockerfile").stat().st_mtime_ns
    run_cli("lint", "Dockerfile", cwd=root)
    assert ((root / "Dockerfile").read_bytes(), (root / "Dockerfile").stat().st_mtime_ns) == before


def test_github_format_and_step_summary(make_project):
    root = make_project({"Dockerfile": DIRTY})
    summary = root / "summary.md"
    r = run_cli("lint", "-f", "github", "Dockerfile", cwd=root, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert r.code == 1
    first = r.out.splitlines()[0]
    assert first.startswith("::error file=Dockerfile,line=1,col=6,title=RC101 unpinned-base-image::")
    assert "## reprocheck: ❌ failed" in summary.read_text()


def test_pragmas_through_cli_hadolint_compatible(make_project):
    text = "# hadolint ignore=DL3006\nFROM python\n# reprocheck: ignore=RC3\nRUN pip install numpy\n"
    root = make_project({"Dockerfile": text})
    r = run_cli("lint", "-f", "json", "Dockerfile", cwd=root)
    data = r.json()
    assert r.code == 0
    assert data["findings"] == []
    assert {f["rule"] for f in data["suppressed"]} == {"RC101", "RC301"}


def test_rules_command_lists_and_documents():
    r = run_cli("rules", "--format", "json")
    assert r.code == 0
    rules = r.json()
    rc = {x["id"]: x for x in rules}
    assert rc["RC301"]["equivalents"] == {"hadolint": ["DL3013"]}
    assert {"id", "severity", "summary", "equivalents", "stage", "fix"} <= set(rc["RC101"])
    assert (rc["RC101"]["stage"], rc["RC801"]["stage"], rc["RC805"]["stage"]) == ("lint", "build", "smoke")
    assert (rc["RC101"]["fix"], rc["RC102"]["fix"], rc["RC104"]["fix"], rc["RC103"]["fix"]) == (
        "unsafe",
        "safe",
        "none",
        "safe",
    )
    text = run_cli("rules").out
    assert "RC101  unpinned-base-image" in text
    doc = run_cli("rules", "RC301")
    assert doc.code == 0 and "## Why is this bad?" in doc.out
    assert run_cli("rules", "pip-install-unpinned").out == doc.out
    bad = run_cli("rules", "RC999")
    assert bad.code == 2 and "no rule `RC999`" in bad.err


def test_version_and_help():
    assert run_cli("--version").out.startswith("reprocheck ")
    r = run_cli("lint", "--help")
    assert r.code == 0 and "--failure-threshold" in r.out


def test_bad_option_is_exit_2():
    r = run_cli("lint", "--no-such-option")
    assert r.code == 2


def test_rebuild_usage_errors_need_no_engine(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    no_engine = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    assert run_cli("rebuild", "--allow-cause", "clock", cwd=tmp_path, env=no_engine).code == 2
    assert run_cli("rebuild", "--network", "bridge", cwd=tmp_path, env=no_engine).code == 2
    bad = run_cli("rebuild", "--source-date-epoch", "soon", cwd=tmp_path, env=no_engine)
    assert bad.code == 2 and "--source-date-epoch" in bad.err


def test_commands_are_listed_without_importing_them_and_the_listing_matches_the_commands():
    """`reprocheck --help` lists every command from the registry's short help; building the commands (as
    running one does) must give the same lines, so the registry cannot drift from the docstrings."""
    import typer
    from typer._click.formatting import HelpFormatter
    from typer.testing import CliRunner

    from reprocheck.cli._lazy import LazyGroup
    from reprocheck.cli.app import COMMANDS, app

    listed = run_cli("--help")
    assert listed.code == 0
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    ctx = group.make_context("reprocheck", [], resilient_parsing=True)
    assert group.list_commands(ctx)[: len(COMMANDS)] == list(COMMANDS)
    limit = HelpFormatter().width - 6 - max(len(n) for n in COMMANDS)
    for name in COMMANDS:
        cmd = group.get_command(ctx, name)
        assert cmd is not None and cmd.callback is not None, name
        line = cmd.get_short_help_str(limit)
        assert f"  {name.ljust(max(len(n) for n in COMMANDS))}  {line}" in listed.out, (name, line)
        assert CliRunner().invoke(app, [name, "--help"]).exit_code == 0, name
    typo = run_cli("lintt")
    assert typo.code == 2 and "Did you mean 'lint'" in typo.err


def test_one_command_imports_no_other_command_module():
    code = (
        "import sys\n"
        "from reprocheck.cli.app import main\n"
        "main(['rules', '--format', 'json'])\n"
        "print('CLI', sorted(m for m in sys.modules if m.startswith('reprocheck.cli.')), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    cli = proc.stderr.split("CLI ", 1)[1]
    assert "reprocheck.cli.rules" in cli
    assert not any(f"reprocheck.cli.{c}'" in cli for c in ("lint", "check", "smoke", "verify", "audit", "rebuild"))
