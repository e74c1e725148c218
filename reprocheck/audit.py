"""``audit``: every project (a Dockerfile with its build context) under some folders, linted in parallel
processes, optionally built, smoke-tested and verified a few at a time; one row per project.

The lint half never imports the Docker side; ``--check`` imports it in the parent only, and the engine is
whatever DOCKER_HOST names (a build farm works as the local engine does)."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from reprocheck.errors import ReprocheckError
from reprocheck.lint.config import find_config
from reprocheck.lint.discover import FileKind, discover
from reprocheck.lint.run import LintOptions, lint_paths
from reprocheck.model.audit import Row
from reprocheck.model.finding import Severity
from reprocheck.model.install import SpecKind
from reprocheck.model.project import Project


def find_projects(roots: Sequence[str], exclude: Sequence[str] = ()) -> list[Path]:
    """Every Dockerfile under the roots (virtualenvs, .git and node_modules skipped), sorted, as shown."""
    found = [
        Path(t.path) for t in discover(list(roots), exclude) if t.kind is FileKind.DOCKERFILE and t.fs_path is not None
    ]
    return sorted(dict.fromkeys(found))


def pin_counts(project: Project) -> tuple[int, int]:
    """(installs, pinned): the images the build pulls (pinned: by digest), package arguments of the
    Dockerfile's installs, and entries of the dependency files they read (a lock's packages are pinned by
    definition). Images count: a project whose only findings are unpinned images is not "100% pinned"."""
    total = pinned = 0
    for use in project.dockerfile.image_refs():
        if use.image.unresolved:
            continue
        total += 1
        pinned += bool(use.image.digest)
    seen_files: set[str] = set()
    for ins in project.dockerfile.instructions:
        for cmd in getattr(ins, "installs", ()):
            for spec in cmd.packages:
                if spec.kind in (SpecKind.VARIABLE, SpecKind.PATH):
                    continue
                total += 1
                pinned += spec.pinned
    for item in project.installed:
        for f in (item.lock, item.file):
            if f is None or f.path in seen_files:
                continue
            seen_files.add(f.path)
            if f.locked:
                total += len(f.locked)
                pinned += len(f.locked)
                break  # the lock stands for its source
            judged = [d for d in f.dependencies if d.spec.kind not in (SpecKind.VARIABLE, SpecKind.PATH)]
            total += len(judged)
            pinned += sum(d.spec.pinned for d in judged)
    return total, pinned


def audit_one(dockerfile: str, base: LintOptions | None = None) -> Row:
    """Lint one project with its own configuration (found from the Dockerfile's directory), unless ``base``
    names one (``--config``) or none (``--isolated``); ``base`` also carries the command line's selection."""
    started = time.monotonic()
    path = Path(dockerfile)
    base = base or LintOptions()
    try:
        options = base
        if base.config is None and not base.isolated:
            config = find_config(path.parent.resolve())
            options = replace(base, config=str(config) if config else None, isolated=config is None)
        projects: list[Project] = []
        report = lint_paths([dockerfile], options, projects)
    except ReprocheckError as exc:
        return Row(dockerfile, "?", verdict="error", error=str(exc), seconds=time.monotonic() - started)
    counts = report.counts()
    rules: dict[str, int] = {}
    for f in report.active:
        rules[f.rule] = rules.get(f.rule, 0) + 1
    installs, pinned = pin_counts(projects[0]) if projects else (0, 0)
    return Row(
        project=report.files[0] if report.files else dockerfile,
        context=projects[0].context or "?" if projects else "?",
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARNING],
        info=counts[Severity.INFO],
        installs=installs,
        pinned=pinned,
        verdict="fail" if report.exit_code else "pass",
        rules=dict(sorted(rules.items())),
        seconds=time.monotonic() - started,
    )


def _chunks(n_items: int, workers: int) -> int:
    return max(1, min(32, n_items // (workers * 8) or 1))


def lint_all(dockerfiles: Sequence[Path], workers: int, base: LintOptions | None = None) -> Iterator[Row]:
    """Rows in the order of ``dockerfiles``; ``workers`` processes (1: in this process)."""
    paths = [str(p) for p in dockerfiles]
    if workers <= 1 or len(paths) < 2:
        for p in paths:
            yield audit_one(p, base)
        return
    methods = multiprocessing.get_all_start_methods()
    # fork: the workers inherit the imported engine instead of importing it again (the parent has no threads)
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(audit_one, paths, [base] * len(paths), chunksize=_chunks(len(paths), workers))


def check_all(
    rows: Iterable[Row],
    jobs: int,
    progress: Callable[[str], None],
    no_reuse: bool = False,
    base: LintOptions | None = None,
) -> list[Row]:
    """Build, smoke-test and verify each project, ``jobs`` at a time, on the engine DOCKER_HOST names: the
    same pipeline as ``reprocheck check`` (each project with its own configuration)."""
    from reprocheck.model.rule import Stage
    from reprocheck.runtime.options import RunOptions
    from reprocheck.runtime.pipeline import run

    def one(row: Row) -> Row:
        if row.verdict == "error":
            return row
        progress(f"checking {row.project}")
        dockerfile = Path(row.project)
        judging = base or LintOptions()
        options = RunOptions(
            project=dockerfile.parent,
            stages=frozenset({Stage.SMOKE, Stage.VERIFY}),
            gate=True,
            dockerfile=dockerfile,
            no_reuse=no_reuse,
            config=Path(judging.config) if judging.config else None,
            isolated=judging.isolated,
            select=judging.select,
            extend_select=judging.extend_select,
            ignore=judging.ignore,
            failure_threshold=judging.failure_threshold,
        )
        try:
            report = run(options, progress)
        except ReprocheckError as exc:
            return replace(row, verdict="error", error=str(exc))
        rules: dict[str, int] = {}
        for f in report.active:
            rules[f.rule] = rules.get(f.rule, 0) + 1
        statuses = {s.name: s.status for s in report.stages if s.name != Stage.LINT.value}
        verdict = {"failed": "fail", "incomplete": "incomplete", "passed": "pass"}[report.verdict]
        return with_stages(row, report.counts(), statuses, rules, verdict)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, rows))


def with_stages(
    row: Row, counts: Mapping[Severity, int], statuses: Mapping[str, str], rules: Mapping[str, int], verdict: str
) -> Row:
    """A lint row with what the runtime stages found added: ``audit --check`` here, and ``audit --merge`` of
    the reports that CI jobs wrote (reprocheck.audit_fanout), so the two make the same row."""
    merged = dict(row.rules)
    for rule, n in rules.items():
        merged[rule] = merged.get(rule, 0) + n
    return replace(
        row,
        errors=row.errors + counts[Severity.ERROR],
        warnings=row.warnings + counts[Severity.WARNING],
        info=row.info + counts[Severity.INFO],
        stages=dict(statuses),
        rules=dict(sorted(merged.items())),
        verdict="fail" if row.verdict == "fail" else verdict,
    )


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
