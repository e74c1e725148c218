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
