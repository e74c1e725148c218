"""README.md stays true: the rule table is generated from the catalogue, and the test command is the one CI runs."""

from __future__ import annotations

import re
import shutil
import subprocess

from scripts.update_readme import render
from tests.conftest import ROOT


def test_readme_rule_table_is_in_sync_with_the_catalogue():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render(readme) == readme, "run `python scripts/update_readme.py` and commit README.md"


def readme_block(after: str) -> str:
    """The first ```sh block after ``after`` (a heading or a marker) in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(re.escape(after) + r".*?```(?:sh|bash|console)\n(.+?)\n```", readme, re.DOTALL)
    assert m, f"README.md must show a command block after {after!r}"
    return m.group(1).strip()


def test_ci_runs_the_test_command_written_in_the_readme():
    """.ci/run ends with exactly the README's development command (after installing and starting the engine)."""
    command = readme_block("<!-- test-command -->")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1].strip() == command
    assert (ROOT / command.split()[0]).is_file()


def test_precommit_example_pins_a_revision_that_exists():
    """The README's pre-commit example names a tag this repository has, or asks for a commit id."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    revs = re.findall(r"^\s*rev:\s*(\S+)", readme.split("## Use as a pre-commit hook", 1)[1], re.MULTILINE)
    assert revs
    git = shutil.which("git")
    tags = subprocess.run([git, "tag", "--list"], cwd=ROOT, capture_output=True, text=True).stdout if git else ""
    for rev in revs:
        assert rev == "<commit-id>" or rev in tags.split(), f"README's pre-commit example pins `{rev}`, no such tag"


def test_readme_fix_table_names_every_rule_with_a_fix():
    from reprocheck.fix import fix_kinds

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Fix\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "RC" in line]
    named = {rid for row in rows for rid in re.findall(r"RC\d{3}", row.split(" | ")[1])}
    assert named == set(fix_kinds())
