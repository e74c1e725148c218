"""``check_project``: lint, then build, smoke and verify, as one run with one verdict and one Report.

The Docker side is imported inside the function, after lint: a machine without an engine still gets the lint
verdict, and the stages that could not run say why (the verdict is then ``incomplete`` unless the caller asked
for the static part only)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reprocheck import __version__
from reprocheck.engine.run import LintOptions, judged, lint_paths
from reprocheck.errors import EngineUnavailable
from reprocheck.model.finding import Finding
from reprocheck.model.report import Report, StageResult

DYNAMIC = ("build", "smoke", "verify", "rebuild")
BUILD_RULES = ("RC801",)
SMOKE_RULES = ("RC802", "RC803", "RC804", "RC805", "RC806", "RC807")
REBUILD_RULES = ("RC820", "RC821", "RC822", "RC823", "RC824", "RC825")


@dataclass(frozen=True)
class CheckOptions:
    project: Path = Path(".")
    dockerfile: str | None = None
    static_only: bool = False
    image: str | None = None
    no_reuse: bool = False
    rebuild: bool = False  # the rebuild stage
    no_cache: bool = False
    online: bool = False
    lint: LintOptions = field(default_factory=LintOptions)


def _stage(name: str, findings: Sequence[Finding], report_threshold: int, seconds: float, detail: str) -> StageResult:
    active = [f for f in findings if f.suppressed_by is None]
    failed = any(f.severity.rank >= report_threshold for f in active)
    return StageResult(name, "failed" if failed else "passed", seconds, detail, len(active))


def settle_stages(stages: Sequence[StageResult], findings: Sequence[Finding], threshold: int) -> list[StageResult]:
    """Give each dynamic stage its findings (after the configuration's selection and severities): a stage
    with a finding at the threshold fails; a stage that failed on its own (a build) stays failed."""
    by_stage = {
        "build": [f for f in findings if f.rule in BUILD_RULES],
        "smoke": [f for f in findings if f.rule in SMOKE_RULES],
        "rebuild": [f for f in findings if f.rule in REBUILD_RULES],
        "verify": [f for f in findings if f.rule not in BUILD_RULES + SMOKE_RULES + REBUILD_RULES],
    }
    out: list[StageResult] = []
    for s in stages:
        if s.name not in by_stage or s.status == "skipped":
            out.append(s)
            continue
        fresh = _stage(s.name, by_stage[s.name], threshold, s.seconds, s.detail)
        out.append(replace(fresh, status="failed") if s.status == "failed" else fresh)
    return out


def _rebuild_not_asked(stages: list[StageResult], options: CheckOptions) -> list[StageResult]:
    if options.rebuild:
        return stages
    return [
        replace(s, detail="not asked for (--rebuild)", required=False)
        if s.name == "rebuild" and s.status == "skipped"
        else s
        for s in stages
    ]


def check_project(options: CheckOptions, progress: Callable[[str], None] = lambda _: None) -> Report:
    started = time.monotonic()
    lint_report = lint_paths([str(options.project)], options.lint)
    threshold = lint_report.threshold.rank
    stages = [
        _stage(
            "lint",
            lint_report.findings,
            threshold,
            time.monotonic() - started,
            f"{len(lint_report.files)} files linted",
        )
    ]
    notes = list(lint_report.notes)
    files = list(lint_report.files)
    dynamic: list[Finding] = []
    if options.static_only:
        stages += [StageResult(s, "skipped", detail="--static-only", required=False) for s in DYNAMIC]
        stages = _rebuild_not_asked(stages, options)
    else:
        stages += dynamic_stages(options, progress, dynamic, notes, files)
        stages = _rebuild_not_asked(stages, options)
    judged_dynamic = judged(dynamic, files, options.lint)
    final = settle_stages(stages, judged_dynamic.findings, threshold)
    findings = sorted((*lint_report.findings, *judged_dynamic.findings), key=lambda f: f.sort_key)
    rules = {**lint_report.rules, **judged_dynamic.rules}
    return Report(
        findings=tuple(findings),
        rules={k: rules[k] for k in sorted(rules)},
        files=tuple(dict.fromkeys(files)),
        tool_version=__version__,
        threshold=lint_report.threshold,
        notes=tuple(notes),
        stages=tuple(final),
    )


def dynamic_stages(
    options: CheckOptions,
    progress: Callable[[str], None],
    findings: list[Finding],
    notes: list[str],
    files: list[str],
) -> list[StageResult]:
    """Build (or reuse), then smoke and verify; findings, notes and files are appended to the lists given."""
    from dataclasses import replace

    from reprocheck.backend.docker_sdk import DockerBackend
    from reprocheck.backend.images import build_finding, obtain_image
    from reprocheck.engine.project import display
    from reprocheck.smoke.spec import load_build, load_spec
    from reprocheck.verify.runner import VerifyRunner
    from reprocheck.verify.spec import load_verify

    config = Path(options.lint.config) if options.lint.config else None
    target = load_build(config, options.project, options.dockerfile)
    backend = DockerBackend()
    try:
        version = backend.ping()
    except EngineUnavailable as exc:
        why = f"no Docker engine: {exc}"
        notes.append(f"the dynamic part was skipped ({why}); pass --static-only to check the static part only")
        return [StageResult(s, "skipped", detail="no Docker engine (see notes)") for s in DYNAMIC]
    progress(f"Docker engine {version} at {backend.host}")
    out: list[StageResult] = []
    t0 = time.monotonic()
    got = obtain_image(backend, target.source, progress, options.image, options.no_cache, options.no_reuse)
    notes.extend(got.notes)
    if got.image is None:
        assert got.build is not None
        findings.append(build_finding(got.build, target.source.dockerfile, display(target.source.dockerfile)))
        out.append(StageResult("build", "failed", time.monotonic() - t0, f"{got.build.failed_step or 'build'} failed"))
        out += [StageResult(s, "skipped", detail="the image did not build", required=False) for s in DYNAMIC[1:]]
        return out
    how = "given" if options.image else ("reused (inputs unchanged)" if got.reused else "built")
    out.append(StageResult("build", "passed", time.monotonic() - t0, f"{got.image} {how}"))
    t1 = time.monotonic()
    smoke_spec = None
    if target.config is not None:
        from reprocheck.engine.config import reprocheck_table

        top, _ = reprocheck_table(target.config)
        if isinstance(top.get("smoke"), dict):
            smoke_spec = load_spec(target.config, options.project)
            if smoke_spec.dockerfile.resolve() != target.source.dockerfile.resolve():
                smoke_spec = None  # the smoke spec is about another Dockerfile of the project
    if smoke_spec is None:
        out.append(StageResult("smoke", "skipped", detail="no [tool.reprocheck.smoke] table", required=False))
    else:
        from reprocheck.smoke.runner import SmokeRunner

        runner = SmokeRunner(backend, smoke_spec, progress)
        outcome = runner.run_on(got.image, got.build, got.reused)
        findings.extend(outcome.findings)
        notes.extend(n for n in outcome.notes if n not in notes)
        mode = "serve" if smoke_spec.serve else "command"
        out.append(
            StageResult("smoke", "passed", time.monotonic() - t1, f"{mode} mode against {smoke_spec.golden.name}")
        )
    t2 = time.monotonic()
    spec = load_verify(target.config)
    if options.online:
        spec = replace(spec, online=True)
    verified = VerifyRunner(backend, spec, progress).run(got.image, target.source)
    findings.extend(verified.findings)
    notes.extend(verified.notes)
    files.extend(p for p in (display(target.source.dockerfile), *verified.expectation.locks) if p not in files)
    locks = ", ".join(verified.expectation.locks) or "no lock"
    out.append(StageResult("verify", "passed", time.monotonic() - t2, f"image against {locks}"))
    if not options.rebuild:
        out.append(StageResult("rebuild", "skipped", detail="not asked for (--rebuild)", required=False))
        return out
    from reprocheck.rebuild.runner import RebuildRunner
    from reprocheck.rebuild.spec import load_rebuild

    t3 = time.monotonic()
    rebuilt = RebuildRunner(backend, load_rebuild(target.config), progress).run(target.source)
    findings.extend(rebuilt.findings)
    notes.extend(f"rebuild: {n}" for n in rebuilt.notes)
    same, total = rebuilt.layers
    detail = "identical layers" if rebuilt.identical else f"{same} of {total} layers identical"
    out.append(StageResult("rebuild", "passed", time.monotonic() - t3, detail))
    return out
