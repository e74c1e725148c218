"""README.md stays true: it names no single rule where adding one would change it, and the test command is the
one CI runs."""

from __future__ import annotations

import re
import shutil
import subprocess

from tests.conftest import ROOT


def _section(heading: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_rules_and_fix_sections_name_no_rule_so_adding_one_leaves_readme_alone():
    """The rules and their fixes are listed by `reprocheck rules` (`--fixable`) from the rule pages; README's
    Rules and Fix sections say how to see them and give a per-family overview, which a new rule or a new fix
    does not change: no rule id (RC101, ML201...) is written there."""
    for heading in ("## Rules", "## Fix"):
        text = _section(heading)
        assert not re.findall(r"\b(?:RC|ML)\d{3}\b", text), f"README's {heading} names single rules"
        assert "reprocheck rules" in text and "](rules/)" in text, f"README's {heading} must say how to see them"
    assert "--fixable" in _section("## Fix")


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
