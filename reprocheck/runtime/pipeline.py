"""``run``: the one path of every Docker-side command (smoke, verify, rebuild, check, audit --check)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from reprocheck.errors import ConfigError, EngineUnavailable
from reprocheck.lint.project import display
from reprocheck.model.finding import Finding
from reprocheck.model.report import Report, StageResult
from reprocheck.model.rule import Stage

from .judge import Collected, judge_run
from .options import RunOptions
from .project import Configured, LoadedProject, configure, load_project, missing_smoke
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
    lint = _Lint(options, configured) if Stage.LINT in options.stages else None
    with contextlib.ExitStack() as closing:  # the engine's last removals finish while the run is judged
        if options.static_only:
            stages += [StageResult(s, "skipped", detail="--static-only", required=False) for s in DYNAMIC]
        elif any(s in options.stages for s in DYNAMIC):
            stages += _dynamic(options, load_project(options, configured), progress, out, lint, closing)
        lint_findings: tuple[Finding, ...] = ()
        if lint is not None:
            linted, lint_row = lint.result()
            lint_findings = linted.findings
            if out.local_images:  # RC102 about an image that can have no digest: say what can be done
                from .local_images import explain_local

                lint_findings = explain_local(lint_findings, out.local_images)
            first = Collected()
            first.note(*linted.notes)
            first.file(*linted.files)
            out = _first(first, out)
            stages.insert(0, lint_row)
        return judge_run(configured.judging, options.gate, stages, lint_findings, out)


def _first(first: Collected, then: Collected) -> Collected:
    """``first``'s notes and files, then ``then``'s (without repeats), as if they had been collected in turn."""
    first.note(*then.notes)
    first.file(*then.files)
    first.findings.extend(then.findings)
    return first


class _Lint:
    """The lint stage of ``check``: run in a thread beside the containers (the prediction's and verify's),
    whose waits leave the interpreter free, or here when no container runs. The results are the same either
    way: they are collected apart and put first."""

    def __init__(self, options: RunOptions, configured: Configured) -> None:
        self._project = options.project
        self._judging = configured.judging
        self._thread: threading.Thread | None = None
        self._result: tuple[Report, StageResult] | None = None
        self._error: BaseException | None = None

    def _run(self, in_thread: bool = False) -> None:
        from reprocheck.lint.run import lint_paths

        try:
            started = time.monotonic()
            # in a thread, in this process: a process pool would fork beside threads holding locks (a list for
            # the followed projects means one process; the report is the same, byte for byte)
            linted = lint_paths([str(self._project)], self._judging, [] if in_thread else None)
            files = plural(len(linted.files), "file")
            self._result = linted, StageResult(Stage.LINT, "passed", time.monotonic() - started, f"{files} linted")
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._error = exc

    def start(self) -> None:
        if self._thread is None and self._result is None:
            self._thread = threading.Thread(target=self._run, args=(True,), name="reprocheck-lint", daemon=True)
            self._thread.start()

    def result(self) -> tuple[Report, StageResult]:
        if self._thread is not None:
            self._thread.join()
        elif self._result is None and self._error is None:
            self._run()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


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
    if spec.golden.stat().st_size > spec.max_output:
        spec.read_golden()  # refuses it: a golden over max-output can never match (and is never loaded)
    return None


def _dynamic(
    options: RunOptions,
    project: LoadedProject,
    progress: Progress,
    out: Collected,
    lint: _Lint | None,
    closing: contextlib.ExitStack,
) -> list[StageResult]:
    """Build (or reuse, or take the given image), then the stages asked for; one row per stage, in order.
    ``lint`` starts beside the containers; the backend is closed (its removals waited for) by ``closing``."""
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
    closing.callback(backend.close)
    if lint is not None:
        from .local_images import base_images, local_images

        out.local_images.extend(local_images(backend, base_images(project.source.dockerfile)))
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
        # verify's probe runs beside the prediction, not after it, and lint beside both
        verifying = start_verify(backend, project, options, got, progress) if Stage.VERIFY in wanted else None
        if lint is not None:
            lint.start()
        try:
            if smoke_row is None and project.smoke is not None:
                smoke_row = run_smoke(backend, project.smoke, got, progress, out, options.gate)
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
