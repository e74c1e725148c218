"""README.md stays true: the rule table is generated from the catalogue, and the test command is the one CI runs."""

from __future__ import annotations

import re

from scripts.update_readme import render
from tests.conftest import ROOT


def test_readme_rule_table_is_in_sync_with_the_catalogue():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render(readme) == readme, "run `python scripts/update_readme.py` and commit README.md"


def test_ci_runs_the_test_command_written_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- test-command -->\n```(?:sh|bash|console)\n(.+?)\n```", readme)
    assert m, "README.md must show the test command after <!-- test-command -->"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert m.group(1).strip() in ci


def test_readme_fix_table_names_every_rule_with_a_fix():
    from reprocheck.fix import fix_kinds

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Fix\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "RC" in line]
    named = {rid for row in rows for rid in re.findall(r"RC\d{3}", row.split(" | ")[1])}
    assert named == set(fix_kinds())
