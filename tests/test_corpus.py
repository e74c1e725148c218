"""Every Dockerfile of a corpus: no crash, and parse errors only where the input really is not a buildable
Dockerfile (hadolint's integration_test.sh habit). Two corpora: the hand-written sample in tests/corpus_sample/
(every run) and the shared corpus of real projects (where it is present; the skip says so in ``-ra``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reprocheck.lint.discover import FileKind, kind_of
from reprocheck.lint.run import LintOptions, lint_paths
from tests.conftest import CORPUS_SAMPLE, corpus_or_skip

pytestmark = pytest.mark.corpus

# Files that `docker build` (or pip, or conda) itself rejects; each with the reason. Anything else with RC900
# is our bug.
NOT_BUILDABLE = {
    "bmaltais__kohya_ss/requirements_macos_amd64.txt": "two requirements on one line (pip rejects it)",
    "jupyterhub__repo2docker/tests/conda/py35-binder-dir/environment.yml": "invalid YAML, on purpose (a test input)",
    "iot-salzburg__gpu-jupyter/custom/gpulibs.Dockerfile": "fragment without FROM, concatenated by a script",
    "iot-salzburg__gpu-jupyter/custom/usefulpackages.Dockerfile": "fragment without FROM",
    "mlrun__mlrun/tests/Dockerfile.test-nb": "Python format template ({ARGS}, {PIP})",
    "mlrun__mlrun/tests/integration/Dockerfile.test-nb": "Python format template",
    "modelscope__modelscope/docker/Dockerfile.ascend": "Python format template ({EXTRA_CONTENT})",
    "modelscope__modelscope/docker/Dockerfile.ubuntu": "Python format template ({EXTRA_CONTENT})",
    "modelscope__modelscope/docker/Dockerfile.extra_install": "fragment without FROM",
    "moby__buildkit/frontend/dockerfile/parser/testfiles-negative/empty_dockerfile/Dockerfile": "empty",
    "moby__buildkit/frontend/dockerfile/parser/testfiles-negative/only_comments/Dockerfile": "comments only",
    "moby__buildkit/frontend/dockerfile/parser/testfiles-negative/env_no_value/Dockerfile": "ENV PATH without value",
    "moby__buildkit/frontend/dockerfile/parser/testfiles-negative/shykes-nested-json/Dockerfile": "no FROM",
    **{
        f"moby__buildkit/frontend/dockerfile/parser/testfiles/{name}/Dockerfile": "parser test with CMD only, no FROM"
        for name in (
            "json",
            "jeztah-invalid-json-json-inside-string",
            "jeztah-invalid-json-json-inside-string-double",
            "jeztah-invalid-json-single-quotes",
            "jeztah-invalid-json-unterminated-bracket",
            "jeztah-invalid-json-unterminated-string",
        )
    },
}


# The sample's files that are not buildable on their own, on purpose.
SAMPLE_NOT_BUILDABLE = {
    "templates__kit/custom/empty.Dockerfile": "empty",
    "templates__kit/custom/gpu.Dockerfile": "fragment without FROM",
}
# What the sample is written to exercise: a rule of every family fires on it.
SAMPLE_RULES = {
    *("RC101", "RC102", "RC103", "RC201", "RC202", "RC203", "RC204", "RC301", "RC302", "RC401", "RC402"),
    *("RC403", "RC404", "RC405", "RC501", "RC503", "RC505", "RC511", "RC512", "RC601", "RC602", "RC604"),
    *("RC606", "RC611", "RC613", "RC702", "RC705", "RC900"),
}


@pytest.fixture(params=["sample", "shared"])
def corpus(request: pytest.FixtureRequest) -> tuple[Path, int, dict[str, str], str]:
    """(root, number of Dockerfiles, files that are not buildable, its one Jinja template) of each corpus."""
    if request.param == "sample":
        return CORPUS_SAMPLE, 14, SAMPLE_NOT_BUILDABLE, "templates__kit/Dockerfile.tmpl"
    return corpus_or_skip(), 714, NOT_BUILDABLE, "Kaggle__docker-python/Dockerfile.tmpl"


def corpus_dockerfiles(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, _dirs, files in os.walk(root):
        out.extend(os.path.join(dirpath, f) for f in files if (kind_of(f) or (None,))[0] is FileKind.DOCKERFILE)
    return sorted(out)


def test_whole_corpus_lints_without_crash_or_parser_errors(corpus, monkeypatch):
    root, count, not_buildable, template = corpus
    monkeypatch.chdir(root)
    files = corpus_dockerfiles(root)
    assert len(files) == count
    report = lint_paths(["."], LintOptions(isolated=True))
    dockerfiles = [p for p in report.files if (kind_of(p) or (None,))[0] is FileKind.DOCKERFILE]
    assert len(dockerfiles) == len(files)
    # a Jinja template ({{ }} lines) is not a Dockerfile until rendered: skipped, with a note
    assert report.notes == (f"skipped 1 template(s), not Dockerfiles until rendered: {template}",)
    internal = [f for f in report.findings if "internal error" in f.message]
    assert internal == []
    with_parse_errors = {f.location.path for f in report.findings if f.rule == "RC900"}
    assert with_parse_errors == set(not_buildable)
    assert all(f.location.line >= 1 for f in report.findings)
    if root == CORPUS_SAMPLE:
        assert {f.rule for f in report.findings} >= SAMPLE_RULES


def test_every_dependency_file_parses_without_crash(corpus):
    root, _count, not_buildable, _template = corpus
    from reprocheck.parsing.depfiles import dep_kind_of, parse_dependency_file

    count = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            kind = dep_kind_of(rel)
            if kind is None:
                continue
            with open(path, "rb") as fh:
                parsed = parse_dependency_file(fh.read(), rel, kind)
            count += 1
            assert all(i.line >= 1 for i in parsed.issues)
            if rel not in not_buildable:
                assert parsed.issues == (), (rel, parsed.issues)
    assert count > (450 if root != CORPUS_SAMPLE else 15)


@pytest.mark.parametrize("where", ["sample", "shared"])
def test_crlf_and_edge_files_lint_like_their_lf_twins(where: str):
    crlf = CORPUS_SAMPLE / "tinyml__edge" / "Dockerfile"
    if where == "shared":
        crlf = corpus_or_skip() / "bmaltais__kohya_ss" / "Dockerfile"
    data = crlf.read_bytes()
    assert b"\r\n" in data
    from tests.conftest import lint_text

    a = [(f.rule, f.location.line) for f in lint_text(data.decode())]
    b = [(f.rule, f.location.line) for f in lint_text(data.replace(b"\r\n", b"\n").decode())]
    assert a == b and a


def test_corpus_report_is_the_same_on_one_or_two_processes(corpus, monkeypatch, tmp_path):
    """The whole corpus, named by its absolute path from another directory (where a file's name once
    depended on who loaded it first): the process pool gives the sequential report, byte for byte."""
    from reprocheck.report import renderer

    root = corpus[0]
    monkeypatch.chdir(tmp_path)
    reports = []
    for workers in ("1", "2"):
        monkeypatch.setenv("REPROCHECK_WORKERS", workers)
        reports.append(renderer("json")(lint_paths([str(root)], LintOptions(isolated=True))))
    assert '"findings": [' in reports[0]
    assert reports[1] == reports[0]
