"""The catalogue documents and tests at once: every rule has a file, and every example behaves."""

from __future__ import annotations

import pytest

from reprocheck.catalogue import load_catalogue
from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.rules import META

DOCS = load_catalogue()
EXAMPLES = [
    pytest.param(rid, ex, id=f"{rid}-{ex.label}{ex.number}") for rid, doc in sorted(DOCS.items()) for ex in doc.examples
]


class _NoEngine:
    """For judging alone: an engine that knows no image, so the diagnosis probes find nothing."""

    def inspect(self, image: str) -> None:
        return None

    def run(self, *args: object, **kwargs: object) -> object:
        from reprocheck.backend.base import RunResult

        return RunResult(125, b"", b"no engine: judging only", False, False, 0.0)


def test_catalogue_and_registry_agree_one_to_one():
    assert set(DOCS) == set(META)
    for rid, doc in DOCS.items():
        meta = META[rid]
        assert doc.name == meta.name, rid
        assert doc.severity == meta.severity.value, rid
        assert doc.needs == meta.needs.value, rid
        assert doc.equivalents == dict(meta.equivalents), rid
        assert doc.filename == f"{rid}-{meta.name}.md"


def test_rule_pages_fix_front_matter_is_what_the_rule_declares():
    """A page's ``fix =`` is checked against the one declaration, ``@rule(..., fix=...)``."""
    for rid, doc in DOCS.items():
        declared = META[rid].fix.value
        assert doc.fix == declared, f"{rid}: rules/ says fix = {doc.fix!r}, the rule declares fix={declared!r}"


def test_every_fixable_rule_page_says_what_its_fix_writes_and_where_the_pin_comes_from():
    """A rule with a fix has its ``## Fix`` table on its page (what ``reprocheck fix`` writes, where the pin
    comes from): ``reprocheck rules --fixable`` and ``rules --format json`` print it from there, and README
    carries none of it. A rule without a fix has no such section."""
    for rid, doc in DOCS.items():
        if META[rid].fix.value == "none":
            assert not doc.fixes and not doc.section("Fix"), f"{rid} declares no fix but its page has `## Fix`"
        else:
            assert doc.fixes, f"{rid} declares a fix: its page needs a `## Fix` table `| writes | from |`"
            assert all(len(f.writes) > 10 and len(f.source) > 5 for f in doc.fixes), rid


def test_a_fix_section_that_is_not_the_table_is_an_error():
    from reprocheck.catalogue import parse_doc

    page = '+++\nid = "RC999"\nname = "x"\nseverity = "error"\n+++\n## Fix\nit pins things\n'
    with pytest.raises(ValueError, match=r"RC999-x\.md: `## Fix` must be a table"):
        parse_doc(page, "RC999-x.md")
    table = page.replace("it pins things", "| writes | from |\n| --- | --- |\n| `a \\| b` -> `c` | the index |")
    (fix,) = parse_doc(table, "RC999-x.md").fixes
    assert (fix.writes, fix.source) == ("`a | b` -> `c`", "the index")


def test_rules_fixable_prints_each_fixable_rule_with_its_page_text():
    import json

    from tests.conftest import run_cli

    text = run_cli("rules", "--fixable")
    assert text.code == 0, text.err
    fixable = {rid for rid, meta in META.items() if meta.fix.value != "none"}
    listed = {line.split()[0] for line in text.out.splitlines() if not line.startswith(" ")}
    assert listed == fixable
    assert f"    writes: {DOCS['RC503'].fixes[0].writes}" in text.out
    table = run_cli("rules", "--fixable", "--format", "markdown")
    assert "| [RC102](rules/RC102-base-image-without-digest.md) | safe |" in table.out
    assert "`curl URL \\| sh`" in table.out  # the cell's pipe escaped again
    data = json.loads(run_cli("rules", "--format", "json").out)
    by_id = {r["id"]: r for r in data}
    assert by_id["RC102"]["fix_text"] == [{"writes": f.writes, "from": f.source} for f in DOCS["RC102"].fixes]
    assert by_id["RC107"]["fix_text"] == [] and by_id["RC107"]["fix"] == "none"


@pytest.mark.parametrize("rid", sorted(DOCS))
def test_every_rule_documents_the_sections_and_has_bad_and_good_examples(rid: str):
    doc = DOCS[rid]
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "How to fix", "References"):
        assert doc.section(section), f"{rid}: section {section!r} is empty"
    labels = {ex.label for ex in doc.examples}
    assert labels == {"bad", "good"}, rid


def _runtime_fires(rid: str, files: dict[str, str], tmp_path) -> bool:
    """Runtime rules' examples go through the same pure judges the smoke runner uses (and RC801 through a
    real build)."""
    import tomllib

    from reprocheck.smoke.compare import compare
    from reprocheck.smoke.explain import explain
    from reprocheck.smoke.spec import Tolerance

    if rid == "RC805":
        spec = tomllib.loads(files["pyproject.toml"])["tool"]["reprocheck"]["smoke"]
        tol = Tolerance(spec.get("rtol", 0.0), spec.get("atol", 0.0))
        return not compare(files["golden.json"].encode(), files["actual.json"].encode(), spec["compare"], tol).equal
    if rid == "RC807":
        from reprocheck.backend.base import RunResult
        from reprocheck.smoke.runner import SmokeRunner
        from reprocheck.smoke.spec import parse_spec

        run = tomllib.loads(files["run.toml"])
        if "exceeded" not in run:
            return False  # within the limit: the output is compared next (RC805's business)
        (tmp_path / "Dockerfile").write_text("FROM scratch\n")
        spec = parse_spec({"command": ["p"], "golden": "g.json"}, tmp_path, "pyproject.toml")
        ran = RunResult(run.get("exit_code"), b"", b"", False, False, 1.0, exceeded=run.get("exceeded"))
        findings, _, _ = SmokeRunner(None, spec, lambda _: None).judge(ran, b"", "image")  # type: ignore[arg-type]
        return [f.rule for f in findings] == [rid]
    if rid == "RC808":
        from reprocheck.smoke.compare import moving_keys

        spec = tomllib.loads(files["pyproject.toml"])["tool"]["reprocheck"]["smoke"]
        tol = Tolerance(spec.get("rtol", 0.0), spec.get("atol", 0.0))
        return bool(moving_keys(files["run1.json"].encode(), files["run2.json"].encode(), spec["compare"], tol))
    if rid in ("RC802", "RC803", "RC804"):
        run = tomllib.loads(files["run.toml"])
        failed = run.get("exit_code", 0) != 0 or run.get("timed_out", False) or run.get("oom_killed", False)
        if not failed:
            return False
        why = explain(
            run.get("exit_code"),
            files.get("stderr.txt", "").encode(),
            run.get("timed_out", False),
            run.get("oom_killed", False),
        )
        return why.rule.id == rid
    if rid == "RC806":
        from reprocheck.backend.base import ServeResult
        from reprocheck.smoke.runner import SmokeRunner
        from reprocheck.smoke.spec import load_spec

        for name, text in files.items():
            (tmp_path / name).write_text(text)
        (tmp_path / "Dockerfile").write_text("FROM scratch\n")
        spec = load_spec(tmp_path / "pyproject.toml", tmp_path)
        state = tomllib.loads(files["server.toml"])
        out = state["output"].encode()
        result = ServeResult(state["ready"], state["exited"], None, False, out, b"")
        if state["ready"]:
            return False  # ready: the response is compared next (RC805's business)
        findings, _, _ = SmokeRunner(_NoEngine(), spec, lambda _: None).judge_serve(result, None, "image")  # type: ignore[arg-type]
        return [f.rule for f in findings] == [rid]
    if rid == "RC850":
        from reprocheck.backend.base import ServeResult
        from reprocheck.backend.http import Reply
        from reprocheck.smoke.runner import SmokeRunner
        from reprocheck.smoke.spec import load_spec

        for name, text in files.items():
            (tmp_path / name).write_text(text)
        (tmp_path / "Dockerfile").write_text("FROM scratch\n")
        spec = load_spec(tmp_path / "pyproject.toml", tmp_path)
        state = tomllib.loads(files["server.toml"])
        reply = None
        if state["ready"]:  # the request's answer: a redirect, or broken HTTP
            reply = Reply(
                state.get("status"), b"{}", misbehaved=state.get("misbehaved"), location=state.get("location")
            )
        result = ServeResult(
            state["ready"],
            False,
            None,
            False,
            b"",
            b"",
            replies=(reply,) if reply else (),
            misbehaved=None if state["ready"] else state.get("misbehaved"),
        )
        runner = SmokeRunner(_NoEngine(), spec, lambda _: None)  # type: ignore[arg-type]
        return runner.misbehaved(result, reply) is not None
    if rid.startswith("RC82"):
        from reprocheck.rebuild.diff import ConfigDiff, FileChange
        from reprocheck.rebuild.explain import config_findings, group
        from reprocheck.rebuild.explain import findings as rebuild_findings

        if rid == "RC825":
            diffs = tomllib.loads(files["config.toml"]).get("config", [])
            found = config_findings([ConfigDiff(d["key"], d["before"], d["after"]) for d in diffs], "Dockerfile", {})
        else:
            changes = [
                FileChange(c["path"], c["change"], c.get("before", ""), c.get("after", ""))
                for c in tomllib.loads(files["diff.toml"]).get("change", [])
            ]
            groups, _ = group(changes, lambda _path: None)
            found = rebuild_findings(groups, "Dockerfile")
        return any(f.rule == rid for f in found)
    if rid.startswith("RC81"):
        return _verify_fires(rid, files, tmp_path)
    if rid.startswith("ML8"):
        return _ml_fires(rid, files, tmp_path)
    if rid == "RC801":
        from reprocheck.backend.base import BuildRequest
        from tests.support.engine import engine_or_skip

        backend = engine_or_skip()
        (tmp_path / "Dockerfile").write_text(files["Dockerfile"])
        result = backend.build(
            BuildRequest(tmp_path, tmp_path / "Dockerfile", "reprocheck/catalogue-example:rc801"), lambda _: None
        )
        if result.ok:
            backend.remove_image("reprocheck/catalogue-example:rc801")
        return not result.ok
    if rid == "RC870":
        import json

        from reprocheck.smoke.drift import environment_drift

        return bool(environment_drift(json.loads(files["golden.env.json"]), json.loads(files["image.env.json"])))
    raise AssertionError(f"no example runner for runtime rule {rid}")


def _verify_fires(rid: str, files: dict[str, str], tmp_path) -> bool:
    """Verify rules' examples: the Dockerfile and lock are read as ``reprocheck verify`` reads them; the image
    is described by image.json (what the probe would find), the registry by registry.json."""
    import json

    from reprocheck.model.build import ImageSource
    from reprocheck.verify.match import judge_base_digest, verify
    from reprocheck.verify.probe import Dist, Inventory
    from reprocheck.verify.runner import load_expectation
    from reprocheck.verify.spec import VerifySpec

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    exp = load_expectation(ImageSource("example", tmp_path, tmp_path / "Dockerfile"), VerifySpec())
    if rid == "RC816":
        registry = json.loads(files["registry.json"])
        found = [
            judge_base_digest(name, ref.digest, registry[name], set(), exp.dockerfile, line)
            for ref, line in exp.bases
            for name in [ref.raw.split("@", 1)[0]]
        ]
        return any(f is not None and f.rule == rid for f in found)
    image = json.loads(files["image.json"])
    inv = Inventory(
        python=image.get("python"),
        python_command="python3",
        markers={"python_version": ".".join((image.get("python") or "3.11").split(".")[:2]), "sys_platform": "linux"},
        dists=tuple(Dist(d["name"], d["version"]) for d in image.get("dists", [])),
        os_manager="dpkg" if "os" in image else None,
        os_packages=image.get("os", {}),
        user=image.get("user", ""),
    )
    return any(f.rule == rid for f in verify(exp, inv).findings)


def _ml_fires(rid: str, files: dict[str, str], tmp_path) -> bool:
    """ML8xx examples: the Dockerfile and lock read as verify reads them, the image's ML probe section from
    ml.json (what reprocheck/ml_probe.py would write)."""
    import json

    from reprocheck.ml_probe import clean_ml
    from reprocheck.model.build import ImageSource
    from reprocheck.verify.ml import judge_ml
    from reprocheck.verify.runner import load_expectation
    from reprocheck.verify.spec import VerifySpec

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    exp = load_expectation(ImageSource("example", tmp_path, tmp_path / "Dockerfile"), VerifySpec())
    findings, _ = judge_ml(clean_ml(json.loads(files["ml.json"])), exp)
    return any(f.rule == rid for f in findings)


@pytest.mark.parametrize(("rid", "example"), EXAMPLES)
def test_examples(rid: str, example, tmp_path, monkeypatch):
    """Each example project is written out and linted with only its rule selected, through the engine."""
    doc = DOCS[rid]
    if META[rid].needs.value == "engine":
        fires = _runtime_fires(rid, example.files, tmp_path)
        assert fires is (example.label == "bad"), f"{rid} {example.label} example {example.number}"
        return
    for name, text in example.files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / ".git").mkdir()  # the example is a repository of its own: contexts stop here
    monkeypatch.chdir(tmp_path)
    options = LintOptions(isolated=True, select=(rid, *doc.example_select), extra=dict(doc.example_options))
    found = [f for f in lint_paths(["."], options).active if f.rule == rid]
    if example.label == "bad":
        assert found, f"{rid} bad example {example.number} is not caught"
        for f in found:
            lines = example.files[f.location.path].count("\n") + 1
            assert 1 <= f.location.line <= lines
    else:
        assert not found, f"{rid} good example {example.number} is flagged: {[f.message for f in found]}"


def test_names_are_kebab_case_and_ids_are_in_their_family():
    families = {
        "1": "base image",
        "2": "os",
        "3": "python",
        "4": "other",
        "5": "downloads",
        "6": "deps",
        "7": "dockerfile vs lock",
        "8": "runtime",
        "9": "meta",
    }
    for rid, meta in META.items():
        assert meta.name == meta.name.lower() and " " not in meta.name and "_" not in meta.name
        assert rid[2] in families or (rid.startswith("ML") and rid[2] in "1234567")
