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


def test_readme_fix_table_names_every_rule_with_a_fix_and_its_declared_kind():
    """The Fix table is checked against ``@rule(..., fix=...)``: every fixable rule has a row, and each row's
    kind column ends with the kind its rules declare (RC301: "safe from `--from-image`, else unsafe")."""
    from reprocheck.model.rule import FixKind
    from reprocheck.rules import META

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Fix\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "RC" in line]
    named: set[str] = set()
    for row in rows:
        cells = row.split(" | ")
        rules = re.findall(r"RC\d{3}", cells[1])
        named.update(rules)
        for rid in rules:
            assert cells[2].split()[-1] == META[rid].fix.value, f"README's Fix table: {rid} is {cells[2]!r}"
    assert named == {rid for rid, meta in META.items() if meta.fix is not FixKind.NONE}


def test_readme_says_what_each_runtime_dependency_is_for():
    """One row per runtime dependency of pyproject.toml in README's dependency table, and no other."""
    import tomllib

    from packaging.requirements import Requirement

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {Requirement(d).name.lower() for d in deps}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| dependency | what for |", 1)[1].split("\n\n", 1)[0]
    rows = {line.split("|")[1].strip().lower() for line in table.splitlines()[2:] if line.startswith("|")}
    assert rows == names
    assert "dockerfile-parse" not in names  # no module imports it: README's notes say why it is not one
