"""CI configurations of any shape (YAML with the keys the reader looks for, holding values of any type, shell
fragments with quotes, continuations, here-documents and expressions; Jenkinsfile-like text) go through
`reprocheck lint` without an exception, an internal error or a finding outside the file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from reprocheck.lint.run import LintOptions, lint_paths
from tests.fuzz.strategies import FUZZ

SHELL = st.lists(
    st.sampled_from(
        ["pip install", "numpy", "==1.0", "\\", "<<EOF", "EOF", "${{ matrix.x }}", "$(x)", "'", '"', "|", "curl",
         "https://e.com/i.sh", "sh", "&&", "\n", "apt-get install -y", "#", "`", "$[[ v ]]"]
    ),
    max_size=12,
).map(" ".join)  # fmt: skip
KEYS = ["run", "script", "before_script", "image", "services", "container", "uses", "rev", "repo", "steps", "jobs",
        "name", "bash", "sh", "inlineScript"]  # fmt: skip
VALUE = st.recursive(
    st.one_of(SHELL, st.integers(), st.booleans(), st.none(), st.sampled_from(["a/b@v1", "docker://x:1", "./local"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=20,
)
JENKINS = st.lists(
    st.one_of(SHELL.map(lambda c: f"sh '{c}'"), SHELL.map(lambda c: f'sh """{c}'), st.just("'''"),
              st.sampled_from(["image 'python:3'", "docker.image('x:1')", "pipeline {", "}"])),
    max_size=10,
).map("\n".join)  # fmt: skip


@FUZZ
@given(
    name=st.sampled_from([".gitlab-ci.yml", "azure-pipelines.yml", ".github/workflows/w.yml", "action.yml"]),
    document=VALUE,
    jenkins=JENKINS,
)
def test_ci_files_never_break_lint(name: str, document: object, jenkins: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(yaml.safe_dump(document, allow_unicode=True))
        (root / "Jenkinsfile").write_text(jenkins)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            report = lint_paths(["."], LintOptions(isolated=True))
        finally:
            os.chdir(cwd)
        lines = {n: (root / n).read_text().count("\n") + 1 for n in (name, "Jenkinsfile")}
    for f in report.findings:
        assert "internal error" not in f.message, f.message
        assert f.location.path in lines and 1 <= f.location.line <= lines[f.location.path], f
