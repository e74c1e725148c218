"""``run``: the one path of every Docker-side command (smoke, verify, rebuild, check, audit --check)."""

from __future__ import annotations

import time
from collections.abc import Callable

from reprocheck.engine.project import display
from reprocheck.errors import ConfigError, EngineUnavailable
from reprocheck.model.finding import Finding
from reprocheck.model.report import Report, StageResult
from reprocheck.model.rule import Stage

from .judge import Collected, judge_run
from .options import RunOptions
from .project import LoadedProject, configure, load_project, missing_smoke
from .stages import run_rebuild, run_smoke, start_verify

Progress = Callable[[str], None]
DYNAMIC = (Stage.BUILD, Stage.SMOKE, Stage.VERIFY, Stage.REBUILD)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _quiet(_message: str) -> None:
    return None


def run(options: RunOptions, progress: Progress = _quiet) -> Report:
    """Load the project, run the stages asked for, and judge everything as one Report.

    Raises ConfigError/UsageError for what the user must fix first, and EngineUnavailable when an engine is
    needed and there is none (in ``gate`` mode that is a note and skipped stages instead)."""
    configured = configure(options)
    out = Collected()
    stages: list[StageResult] = []
    lint_findings: tuple[Finding, ...] = ()
    if Stage.LINT in options.stages:
        from reprocheck.engine.run import lint_paths

        started = time.monotonic()
        linted = lint_paths([str(options.project)], configured.judging)
        lint_findings = linted.findings
        out.note(*linted.notes)
        out.file(*linted.files)
        stages.append(
            StageResult(Stage.LINT, "passed", time.monotonic() - started, f"{plural(len(linted.files), 'file')} linted")
        )
    if options.static_only:
        stages += [StageResult(s, "skipped", detail="--static-only", required=False) for s in DYNAMIC]
    elif any(s in options.stages for s in DYNAMIC):
        stages += _dynamic(options, load_project(options, configured), progress, out)
    return judge_run(configured.judging, options.gate, stages, lint_findings, out)


def _skipped(stage: Stage, why: str, required: bool = False) -> StageResult:
    return StageResult(stage, "skipped", detail=why, required=required)


def _check_smoke(options: RunOptions, project: LoadedProject, out: Collected) -> StageResult | None:
    """Before any engine work: a missing smoke spec (an error, or in ``gate`` mode a skipped stage that makes
    the verdict incomplete unless --no-smoke), and a missing golden file (an error)."""
    if Stage.SMOKE not in options.stages:
        return _skipped(Stage.SMOKE, "not asked for")
    spec = project.smoke
    if spec is None:
        if not options.gate:
            raise ConfigError(missing_smoke(project.configured, project.smoke_missing))
        if options.no_smoke:
            out.note(f"{project.smoke_missing}: no prediction was run (accepted with --no-smoke)")
        else:
            out.note(missing_smoke(project.configured, project.smoke_missing))
        return _skipped(Stage.SMOKE, project.smoke_missing, required=not options.no_smoke)
    if not spec.golden.is_file():
        raise ConfigError(
            f"the golden output `{display(spec.golden)}` does not exist: run `reprocheck record` first",
            path=spec.config_path,
            line=spec.line_of("golden"),
        )
    return None


def _dynamic(options: RunOptions, project: LoadedProject, progress: Progress, out: Collected) -> list[StageResult]:
    """Build (or reuse, or take the given image), then the stages asked for; one row per stage, in order."""
    from .build import build_finding, obtain_image
    from .engine import connect

    wanted = options.stages
    rows: dict[Stage, StageResult] = {}
    smoke_row = _check_smoke(options, project, out)
    try:
        engine = connect()
    except EngineUnavailable as exc:
        if not options.gate:
            raise
        out.note(f"build, smoke and verify were skipped: {exc.message}. --static-only checks the static part only")
        rows = {s: _skipped(s, "no Docker engine (see notes)", required=True) for s in DYNAMIC}
        if smoke_row is not None:
            rows[Stage.SMOKE] = smoke_row
        if Stage.REBUILD not in wanted:
            rows[Stage.REBUILD] = _not_asked(Stage.REBUILD, options)
        return [rows[s] for s in DYNAMIC]
    progress(str(engine))
    backend = engine.backend
    if Stage.SMOKE in wanted or Stage.VERIFY in wanted:
        started = time.monotonic()
        got = obtain_image(backend, project.source, progress, options.image, options.no_cache, options.no_reuse)
        out.note(*got.notes)
        if got.image is None:
            assert got.build is not None
            out.findings.append(build_finding(got.build, project.source.dockerfile))
            out.file(display(project.source.dockerfile))
            failed = f"{got.build.failed_step or 'the build'} failed"
            rows[Stage.BUILD] = StageResult(Stage.BUILD, "failed", time.monotonic() - started, failed)
            return [rows.get(s) or _skipped(s, "the image did not build") for s in DYNAMIC]
        image = got.image
        rows[Stage.BUILD] = StageResult(Stage.BUILD, "passed", time.monotonic() - started, f"{image} {got.how}")
        # verify's probe runs beside the prediction, not after it
        verifying = start_verify(backend, project, options, image, progress) if Stage.VERIFY in wanted else None
        try:
            if smoke_row is None and project.smoke is not None:
                smoke_row = run_smoke(backend, project.smoke, got, progress, out)
        finally:
            if verifying is not None:
                verifying.wait()
        if verifying is not None:
            rows[Stage.VERIFY] = verifying.finish(out)
    else:
        rows[Stage.BUILD] = _skipped(Stage.BUILD, "not needed")
    if smoke_row is not None:
        rows[Stage.SMOKE] = smoke_row
    if Stage.REBUILD in wanted:
        rows[Stage.REBUILD] = run_rebuild(backend, project, options, progress, out)
    return [rows.get(s) or _not_asked(s, options) for s in DYNAMIC]


def _not_asked(stage: Stage, options: RunOptions) -> StageResult:
    return _skipped(stage, "not asked for (--rebuild)" if stage is Stage.REBUILD and options.gate else "not asked for")
