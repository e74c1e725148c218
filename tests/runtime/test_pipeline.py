"""The runtime pipeline's judging, without an engine: the stages' findings are judged by the project's own
configuration exactly as lint judges its findings, stages get their findings through ``RuleMeta.stage``, and
the configuration is the project's, whatever the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from reprocheck.model.finding import Severity
from reprocheck.model.location import Location
from reprocheck.model.report import StageResult
from reprocheck.model.rule import Stage
from reprocheck.rules import META
from reprocheck.rules.runtime import BUILD_FAILED, CRASHED, DIFFERS, PACKAGE_UNEXPECTED, REBUILD_PYC
from reprocheck.runtime.judge import Collected, for_sarif, judge_run, settle_stages
from reprocheck.runtime.options import RunOptions
from reprocheck.runtime.project import configure

SMOKE = '[tool.reprocheck.smoke]\ncommand = ["python", "predict.py"]\ngolden = "golden.json"\n'


def _project(root: Path, reprocheck: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.reprocheck]\n{reprocheck}\n{SMOKE}")
    (root / "Dockerfile").write_text("FROM scratch\n")
    return root


def _differs() -> Collected:
    out = Collected()
    out.findings.append(DIFFERS.finding(Location("golden.json", 1), "the prediction differs"))
    out.file("pyproject.toml")
    return out


def _smoke_report(options: RunOptions):  # -> Report
    return judge_run(configure(options).judging, False, [], [], _differs())


def test_every_runtime_rule_names_its_stage_and_static_rules_are_lint():
    runtime = {rid: m.stage for rid, m in META.items() if rid.startswith("RC8")}
    assert runtime["RC801"] is Stage.BUILD
    assert {runtime[r] for r in ("RC802", "RC803", "RC804", "RC805", "RC806")} == {Stage.SMOKE}
    assert {s for r, s in runtime.items() if r.startswith("RC81")} == {Stage.VERIFY}
    assert {s for r, s in runtime.items() if r.startswith("RC82")} == {Stage.REBUILD}
    assert {m.stage for rid, m in META.items() if rid.startswith("ML8")} == {Stage.VERIFY}
    static = {m.stage for rid, m in META.items() if not rid.startswith(("RC8", "ML8"))}
    assert static == {Stage.LINT}


def test_a_rule_object_makes_its_own_findings():
    f = CRASHED.finding(Location("pyproject.toml", 3), "boom", hint="look")
    assert (f.rule, f.severity, f.location.line, f.hint) == ("RC802", Severity.ERROR, 3, "look")


def test_smoke_findings_fail_by_default(tmp_path: Path):
    report = _smoke_report(RunOptions(project=_project(tmp_path / "p")))
    assert [f.rule for f in report.findings] == ["RC805"] and report.exit_code == 1


def test_smoke_honours_the_projects_ignore(tmp_path: Path):
    report = _smoke_report(RunOptions(project=_project(tmp_path / "p", 'ignore = ["prediction-differs"]')))
    assert report.findings == () and report.exit_code == 0


def test_smoke_honours_the_projects_severity_and_threshold(tmp_path: Path):
    root = _project(tmp_path / "p", 'failure-threshold = "error"\nseverity = { RC805 = "warning" }')
    report = _smoke_report(RunOptions(project=root))
    (finding,) = report.findings
    assert finding.severity is Severity.WARNING and report.threshold is Severity.ERROR
    assert report.exit_code == 0
    stricter = _smoke_report(RunOptions(project=root, failure_threshold=Severity.WARNING))
    assert stricter.exit_code == 1  # the command line wins over the config


def test_command_line_selection_applies_to_the_stages(tmp_path: Path):
    root = _project(tmp_path / "p")
    assert _smoke_report(RunOptions(project=root, ignore=("RC8",))).findings == ()
    assert _smoke_report(RunOptions(project=root, select=("RC1",))).findings == ()
    assert _smoke_report(RunOptions(project=root, select=("RC1",), extend_select=("RC805",))).exit_code == 1


def test_the_configuration_is_the_projects_not_the_working_directorys(tmp_path: Path, monkeypatch):
    project = _project(tmp_path / "p")
    here = _project(tmp_path / "elsewhere", 'ignore = ["RC805"]')
    monkeypatch.chdir(here)
    assert _smoke_report(RunOptions(project=project)).exit_code == 1
    assert configure(RunOptions(project=project)).config == project.resolve() / "pyproject.toml"
    nested = project / "sub" / "dir"
    nested.mkdir(parents=True)
    assert configure(RunOptions(project=nested)).config == project.resolve() / "pyproject.toml"


def test_config_option_wins_and_isolated_reads_none(tmp_path: Path):
    project = _project(tmp_path / "p")
    other = _project(tmp_path / "other", 'ignore = ["RC805"]')
    assert _smoke_report(RunOptions(project=project, config=other / "pyproject.toml")).exit_code == 0
    quiet = _project(tmp_path / "q", 'ignore = ["RC805"]')
    assert _smoke_report(RunOptions(project=quiet, isolated=True)).exit_code == 1
    assert configure(RunOptions(project=quiet, isolated=True)).config is None


def test_stages_get_the_findings_of_their_rules(tmp_path: Path):
    findings = [
        PACKAGE_UNEXPECTED.finding(Location("Dockerfile", 2), "extra"),  # warning
        DIFFERS.finding(Location("golden.json", 1), "differs"),  # error
    ]
    stages = [
        StageResult(Stage.BUILD, "passed"),
        StageResult(Stage.SMOKE, "passed"),
        StageResult(Stage.VERIFY, "passed"),
        StageResult(Stage.REBUILD, "skipped", required=False),
    ]
    settled = {s.name: (s.status, s.findings) for s in settle_stages(stages, findings, Severity.ERROR.rank)}
    assert settled == {
        "build": ("passed", 0),
        "smoke": ("failed", 1),
        "verify": ("passed", 1),  # a warning under an error threshold
        "rebuild": ("skipped", 0),
    }
    failed_build = settle_stages([StageResult(Stage.BUILD, "failed")], [], Severity.ERROR.rank)
    assert failed_build[0].status == "failed"


def test_sarif_gets_the_findings_that_point_at_lines_of_the_project(tmp_path: Path):
    out = Collected()
    out.findings += [
        BUILD_FAILED.finding(Location("Dockerfile", 3), "no build"),
        DIFFERS.finding(Location("golden.json", 1), "differs"),
        PACKAGE_UNEXPECTED.finding(Location("Dockerfile", 2), "extra"),
        REBUILD_PYC.finding(Location("Dockerfile", 4), "pyc"),
    ]
    report = judge_run(configure(RunOptions(project=_project(tmp_path / "p"))).judging, True, [], [], out)
    assert sorted(f.rule for f in for_sarif(report).findings) == ["RC811", "RC821"]
    assert set(for_sarif(report).rules) == {"RC811", "RC821"}


@pytest.mark.parametrize("missing", ["directory", "config"])
def test_usage_errors_name_the_path(tmp_path: Path, missing: str):
    from reprocheck.errors import UsageError

    options = (
        RunOptions(project=tmp_path / "nope")
        if missing == "directory"
        else RunOptions(project=tmp_path, config=tmp_path / "none.toml")
    )
    with pytest.raises(UsageError):
        configure(options)


def test_terminal_escapes_from_logs_never_reach_a_finding(tmp_path: Path):
    out = Collected()
    out.findings.append(
        BUILD_FAILED.finding(Location("Dockerfile", 3), "\x1b[31mfailed\x1b[0m", hint="log:\n\x1b[1;33mwarn\x1b[0m\x07")
    )
    out.notes.append("built \x1b]8;;http://x\x07link\x1b]8;;\x07")
    report = judge_run(configure(RunOptions(project=_project(tmp_path / "p"))).judging, False, [], [], out)
    (f,) = report.findings
    assert (f.message, f.hint, report.notes) == ("failed", "log:\nwarn", ("built link",))


def test_what_to_build_comes_from_the_spec_then_the_command_line(tmp_path: Path, monkeypatch):
    from reprocheck.errors import ReprocheckError
    from reprocheck.runtime.project import load_project

    root = _project(tmp_path / "p")
    (root / "other.Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(tmp_path)
    loaded = load_project(RunOptions(project=Path("p"), build_args={"V": "2"}))
    assert loaded.smoke is not None and loaded.source.dockerfile == root.resolve() / "Dockerfile"
    assert dict(loaded.source.build_args) == {"V": "2"}
    other = RunOptions(project=Path("p"), dockerfile=Path("p/other.Dockerfile"), context=Path("p"))
    assert load_project(other).smoke is not None  # smoke --dockerfile: the prediction runs in that image
    gated = load_project(RunOptions(project=Path("p"), dockerfile=Path("p/other.Dockerfile"), gate=True))
    assert gated.smoke is None and "is about p/Dockerfile" in gated.smoke_missing
    (root / "Dockerfile").unlink()
    (root / "pyproject.toml").write_text("[tool.reprocheck]\n")
    with pytest.raises(ReprocheckError, match="no Dockerfile at `p/Dockerfile`"):
        load_project(RunOptions(project=Path("p")))


def test_a_failed_build_fails_a_single_command_even_when_its_rule_is_ignored(tmp_path: Path):
    judging = configure(RunOptions(project=_project(tmp_path / "p", 'ignore = ["RC801"]'))).judging
    out = Collected()
    out.findings.append(BUILD_FAILED.finding(Location("Dockerfile", 1), "no build"))
    stages = [StageResult(Stage.BUILD, "failed"), StageResult(Stage.SMOKE, "skipped", required=False)]
    report = judge_run(judging, False, stages, [], out)
    assert report.findings == () and report.exit_code == 1
    assert [s.name for s in report.stages] == ["build"]
    passed = judge_run(judging, False, [StageResult(Stage.BUILD, "passed")], [], Collected())
    assert passed.stages == () and passed.exit_code == 0
