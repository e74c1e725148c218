"""Every Dockerfile of ../shared/corpus: no crash, and parse errors only where the input really is not a
buildable Dockerfile (hadolint's integration_test.sh habit)."""

from __future__ import annotations

import os

import pytest

from reprocheck.engine.discover import FileKind, kind_of
from reprocheck.engine.run import LintOptions, lint_paths
from tests.conftest import corpus_or_skip

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


def corpus_dockerfiles() -> list[str]:
    root = corpus_or_skip()
    out: list[str] = []
    for dirpath, _dirs, files in os.walk(root):
        out.extend(os.path.join(dirpath, f) for f in files if (kind_of(f) or (None,))[0] is FileKind.DOCKERFILE)
    return sorted(out)


def test_whole_corpus_lints_without_crash_or_parser_errors(monkeypatch):
    root = corpus_or_skip()
    monkeypatch.chdir(root)
    files = corpus_dockerfiles()
    assert len(files) == 714
    report = lint_paths(["."], LintOptions(isolated=True))
    dockerfiles = [p for p in report.files if (kind_of(p) or (None,))[0] is FileKind.DOCKERFILE]
    assert len(dockerfiles) == len(files)
    # a Jinja template ({{ }} lines) is not a Dockerfile until rendered: skipped, with a note
    template = "Kaggle__docker-python/Dockerfile.tmpl"
    assert report.notes == (f"skipped 1 template(s), not Dockerfiles until rendered: {template}",)
    internal = [f for f in report.findings if "internal error" in f.message]
    assert internal == []
    with_parse_errors = {f.location.path for f in report.findings if f.rule == "RC900"}
    assert with_parse_errors == set(NOT_BUILDABLE)
    assert all(f.location.line >= 1 for f in report.findings)


def test_every_dependency_file_parses_without_crash():
    root = corpus_or_skip()
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
            if rel not in NOT_BUILDABLE:
                assert parsed.issues == (), (rel, parsed.issues)
    assert count > 450


def test_crlf_and_edge_files_lint_like_their_lf_twins(monkeypatch):
    root = corpus_or_skip()
    crlf = root / "bmaltais__kohya_ss" / "Dockerfile"
    data = crlf.read_bytes()
    assert b"\r\n" in data
    from tests.conftest import lint_text

    a = [(f.rule, f.location.line) for f in lint_text(data.decode())]
    b = [(f.rule, f.location.line) for f in lint_text(data.replace(b"\r\n", b"\n").decode())]
    assert a == b and a
