"""The stages after the build, each over the backend and plain data: smoke, verify, rebuild. Each appends
its findings, notes and files to a ``Collected`` and returns its row of the stage table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from reprocheck.backend.base import ContainerBackend, Progress
from reprocheck.model.finding import Finding
from reprocheck.model.report import StageResult
from reprocheck.model.rule import Stage
from reprocheck.rules.runtime import PASSED_ELSEWHERE
from reprocheck.smoke.spec import SmokeSpec

from .build import Obtained, build_finding
from .buildkit import needs_buildkit
from .judge import Collected
from .options import RunOptions
from .project import LoadedProject

if TYPE_CHECKING:
    from reprocheck.model.build import ImageSource
    from reprocheck.smoke.runner import SmokeOutcome
    from reprocheck.verify.runner import VerifyOutcome


def run_smoke(
    backend: ContainerBackend, spec: SmokeSpec, got: Obtained, progress: Progress, out: Collected, gate: bool = False
) -> StageResult:
    from reprocheck.smoke.gpu import GpuUnavailable

    started = time.monotonic()
    cases = spec.each_case
    passed = 0
    try:
        for case, outcome in _run_cases(backend, spec, got, progress):
            findings = [_in_case(f, case) for f in outcome.findings] if case.case else list(outcome.findings)
            out.findings.extend(findings)
            out.note(*outcome.notes)
            if not [f for f in outcome.findings if f.rule != PASSED_ELSEWHERE.id]:
                passed += 1
                elsewhere = " (in another environment than it was recorded in: RC870)" if outcome.findings else ""
                label = f"case `{case.case}`: " if case.case else ""
                out.note(
                    f"smoke passed: {label}the container's prediction matches {case.golden.name} "
                    f"(compare = {case.compare})" + elsewhere
                )
    except GpuUnavailable as exc:  # asked for GPUs the engine cannot give: not run (check: incomplete)
        if not gate:
            raise
        out.note(exc.message)
        out.file(spec.config_path)
        return StageResult(Stage.SMOKE, "skipped", time.monotonic() - started, "not run: the engine has no GPU")
    out.file(spec.config_path)
    mode = "serve" if spec.serve else "command"
    against = (
        f"{passed} of {len(cases)} cases match their golden output" if len(cases) > 1 else f"against {spec.golden.name}"
    )
    return StageResult(Stage.SMOKE, "passed", time.monotonic() - started, f"{mode} mode {against}")


def _run_cases(
    backend: ContainerBackend, spec: SmokeSpec, got: Obtained, progress: Progress
) -> Iterator[tuple[SmokeSpec, SmokeOutcome]]:
    """Each case with its outcome, in order. Command mode runs a container per case; serve mode starts the
    server once for all the cases that share its command and inputs (a case that changes them has its own)."""
    from reprocheck.smoke.runner import SmokeRunner

    assert got.image is not None
    cases = spec.each_case
    for group in spec.starts:
        if len(cases) > 1:
            names = ", ".join(c.case for c in group)
            progress(f"case{'s' if len(group) > 1 else ''} {names}" + (": one server start" if spec.serve else ""))
        runner = SmokeRunner(backend, group[0], progress)
        if got.info is not None:
            runner.remember(got.image, got.info)
        if spec.serve is not None:
            yield from zip(group, runner.serve_cases(got.image, got.build, got.reused, group), strict=True)
        else:
            yield group[0], runner.run_on(got.image, got.build, got.reused)


def _in_case(finding: Finding, case: SmokeSpec) -> Finding:
    """A case's finding says which case it is about, and carries the case's name in its details."""
    return replace(
        finding,
        message=f"case `{case.case}`: {finding.message}",
        details={**(finding.details or {}), "case": case.case},
    )


class PendingVerify:
    """verify's probe, started in a thread beside the prediction (its own container, as sandboxed as before):
    ``check`` then costs about what ``smoke`` costs. ``finish`` waits for it and records its results in the
    order the stages have always had (smoke's first), so the report is the same as when they ran in turn."""

    def __init__(self, work: Callable[[], VerifyOutcome], source: ImageSource) -> None:
        self.source = source
        self.started = time.monotonic()
        self.seconds = 0.0
        self._outcome: VerifyOutcome | None = None
        self._error: BaseException | None = None
        self._work = work
        self._thread = threading.Thread(target=self._run, name="reprocheck-verify", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome = self._work()
        except BaseException as exc:  # re-raised in the caller's thread by finish()
            self._error = exc
        self.seconds = time.monotonic() - self.started

    def wait(self) -> None:
        """Wait for the probe (which removes its own container) however the prediction ended; a second
        Ctrl-C leaves it to the run's journal and ``reprocheck clean``."""
        self._thread.join()

    def finish(self, out: Collected) -> StageResult:
        from reprocheck.lint.project import display

        self.wait()
        if self._error is not None:
            raise self._error
        verified = self._outcome
        assert verified is not None
        out.findings.extend(verified.findings)
        out.note(*verified.notes)
        out.file(display(self.source.dockerfile), *verified.expectation.locks)
        locks = ", ".join(verified.expectation.locks) or "no lock"
        return StageResult(Stage.VERIFY, "passed", self.seconds, f"image against {locks}")


def start_verify(
    backend: ContainerBackend, project: LoadedProject, options: RunOptions, got: Obtained, progress: Progress
) -> PendingVerify:
    """verify's probe in a thread; the image as obtained (inspected once, by the build stage)."""
    spec = replace(project.verify, online=True) if options.online else project.verify
    image = got.image
    assert image is not None

    def work() -> VerifyOutcome:
        # imported here, in the thread: while the prediction's container is created and started
        from reprocheck.verify.runner import VerifyRunner

        return VerifyRunner(backend, spec, progress).run(image, project.source, got.info)

    return PendingVerify(work, project.source)


def run_rebuild(
    backend: ContainerBackend, project: LoadedProject, options: RunOptions, progress: Progress, out: Collected
) -> StageResult:
    from reprocheck.files import write_atomic
    from reprocheck.lint.project import display
    from reprocheck.rebuild.details import render
    from reprocheck.rebuild.runner import RebuildRunner

    started = time.monotonic()
    extra = options.rebuild
    spec = project.rebuild
    spec = replace(
        spec,
        allow_paths=(*spec.allow_paths, *extra.allow_paths),
        allow_causes=(*spec.allow_causes, *extra.allow_causes),
        vary=spec.vary or extra.vary,
        network=extra.network or spec.network,
        source_date_epoch=extra.source_date_epoch or spec.source_date_epoch,
    )
    buildkit = bool(needs_buildkit(project.source.dockerfile))
    rebuilt = RebuildRunner(backend, spec, progress, buildkit=buildkit).run(project.source)
    out.file(display(project.source.dockerfile))
    out.findings.extend(rebuilt.findings)
    out.note(*(f"rebuild: {n}" for n in rebuilt.notes))
    if extra.details is not None:
        write_atomic(str(extra.details), render(rebuilt))
    seconds = time.monotonic() - started
    if rebuilt.failed_build is not None:
        out.findings.append(build_finding(rebuilt.failed_build, project.source.dockerfile))
        return StageResult(Stage.REBUILD, "failed", seconds, "a build failed")
    same, total = rebuilt.layers
    detail = (
        "identical layers" if rebuilt.identical else f"{same} of {total} layer{'s' if total != 1 else ''} identical"
    )
    return StageResult(Stage.REBUILD, "passed", seconds, detail)
