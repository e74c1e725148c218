"""Lint many Dockerfiles on several cores, with the report the sequential run gives.

Each worker lints a contiguous slice of the files (Dockerfiles: parse, project, rules, pragmas; dependency
files: parse) with its own dependency-file loader, and returns per file its findings and the dependency
files it asked for.
The parent then replays the run in target order: findings in the sequential order, dependency files
entered into one loader in the order the sequential run would have loaded them; the shared pass over
dependency files and lock pairs (``_Run.finish``) runs once, in the parent, as before.

A dependency file is parsed under the kind and name of whoever loads it first, so a worker could parse
a file differently from the sequential run when another slice loads it first. Workers are told the
kind and name of every dependency file on the command line (the usual first loader), and the parent
checks each target's loads against the sequential order; a target whose worker saw a file differently
is linted again in the parent, at its place in the order, so the report is always the sequential one.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.finding import Finding
from reprocheck.parsing.depfiles import guess_kind

from .discover import FileKind, Target
from .project import DepLoader, display

if TYPE_CHECKING:
    from .run import _Run

# Below this many Dockerfiles a pool costs more than it saves (fork, pickling, a second parse of shared
# dependency files): measured with bench/bench_lint.py, where one Dockerfile takes ~2-4 ms to lint.
MIN_DOCKERFILES = 64
MAX_WORKERS = 8

Identity = tuple[DepKind, str]  # what a dependency file is parsed as: its kind and the name findings show


def workers_for(targets: Sequence[Target], stdin: bytes | None) -> int:
    """How many processes to lint these targets with (1: in this process). ``REPROCHECK_WORKERS``
    overrides the choice."""
    if stdin is not None or not hasattr(os, "fork"):
        return 1
    dockerfiles = sum(1 for t in targets if t.kind is FileKind.DOCKERFILE and t.fs_path is not None)
    forced = os.environ.get("REPROCHECK_WORKERS", "")
    if forced.isdigit() and int(forced) > 0:  # 1: sequential; N: N processes whatever the size (tests, bench)
        return max(1, min(int(forced), MAX_WORKERS, dockerfiles))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if dockerfiles < MIN_DOCKERFILES or cpus < 2:
        return 1
    return min(cpus, MAX_WORKERS, dockerfiles // (MIN_DOCKERFILES // 2))


class _RecordingLoader(DepLoader):
    """A worker's loader: dependency files named on the command line are parsed as the command line
    names them; every successful load is recorded for the parent's replay."""

    def __init__(self, seeds: dict[Path, Identity], limit: int) -> None:
        super().__init__(limit)
        self.seeds = seeds
        self.identity: dict[Path, Identity] = {}
        self.requests: list[tuple[Path, Identity]] = []

    def load(
        self,
        path: Path,
        kind: DepKind | None = None,
        shown: str | None = None,
        root: Path | None = None,
        data: bytes | None = None,
    ) -> DependencyFile | None:
        asked: Identity = (kind or guess_kind(path.name), shown or display(path))
        real = path.resolve()
        first = real not in self.files
        use = self.seeds.get(real, asked) if first else self.identity[real]
        parsed = super().load(path, use[0], use[1], root, data)
        if parsed is not None:
            if first:
                self.identity[real] = use
            self.requests.append((real, asked))
        return parsed


@dataclass
class _SliceResult:
    findings: dict[int, list[Finding]] = field(default_factory=dict)
    requests: dict[int, list[tuple[Path, Identity]]] = field(default_factory=dict)
    files: dict[Path, DependencyFile] = field(default_factory=dict)
    identity: dict[Path, Identity] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)
    roots: dict[Path, Path | None] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    texts: dict[int, dict[str, str]] = field(default_factory=dict)  # per target: Dockerfile texts (fingerprints)
    templates: dict[int, list[str]] = field(default_factory=dict)  # per target: templates skipped


# Set in the parent before the pool forks; the workers read it (nothing of it is pickled).
_JOB: tuple[_Run, list[Target], dict[Path, Identity]] | None = None


def _lint_slice(indices: list[int]) -> _SliceResult:
    assert _JOB is not None
    template, targets, seeds = _JOB
    from .run import _Run

    run = _Run(template.options, template.dispatcher, template.rule_options)
    loader = _RecordingLoader(seeds, run.limit)
    run.loader = loader
    out = _SliceResult()
    for i in indices:
        before_findings, before_requests = len(run.findings), len(loader.requests)
        before_texts, before_templates = set(run.texts), len(run.templates)
        run.target(targets[i])
        out.findings[i] = run.findings[before_findings:]
        out.requests[i] = loader.requests[before_requests:]
        out.texts[i] = {k: v for k, v in run.texts.items() if k not in before_texts}
        out.templates[i] = run.templates[before_templates:]
    out.files, out.identity, out.data = loader.files, loader.identity, loader._data
    out.roots, out.unreadable = loader.roots, loader.unreadable
    return out


def _slices(indices: list[int], workers: int) -> list[list[int]]:
    """Contiguous slices (neighbours share dependency files), a few per worker to even out the load."""
    count = min(len(indices), workers * 2)
    size, extra = divmod(len(indices), count)
    out, start = [], 0
    for k in range(count):
        end = start + size + (1 if k < extra else 0)
        out.append(indices[start:end])
        start = end
    return out


def lint_targets(run: _Run, targets: Sequence[Target], workers: int) -> None:
    """Fill ``run`` (findings, loaded dependency files) as ``for t in targets: run.target(t)`` would."""
    import multiprocessing  # here: a one-file lint does not pay for importing them
    from concurrent.futures import ProcessPoolExecutor

    global _JOB
    targets = list(targets)
    files = [i for i, t in enumerate(targets) if t.fs_path is not None]
    seeds: dict[Path, Identity] = {}
    for t in targets:
        if t.kind is FileKind.DEPENDENCIES and t.fs_path is not None and t.dep_kind is not None:
            seeds.setdefault(t.fs_path.resolve(), (t.dep_kind, t.path))
    _JOB = (run, targets, seeds)
    gc.freeze()  # the workers' collections would otherwise walk (and so copy) every inherited object
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = list(pool.map(_lint_slice, _slices(files, workers)))
    finally:
        _JOB = None
        gc.unfreeze()
    _replay(run, targets, results)


def _consistent(result: _SliceResult, i: int, loaded: dict[Path, Identity]) -> bool:
    """Whether the worker gave target ``i`` the dependency files the sequential run would have: each one
    parsed as whoever loaded it first (an earlier target, else this target's first request)."""
    seen: dict[Path, Identity] = {}
    for real, asked in result.requests[i]:
        expected = loaded.get(real) or seen.setdefault(real, asked)
        if result.identity[real] != expected:
            return False
    return True


def _replay(run: _Run, targets: list[Target], results: list[_SliceResult]) -> None:
    """Enter the workers' results into ``run`` in target order, into a loader filled in the sequential
    order. A target whose worker parsed some dependency file differently (another slice loaded it first,
    under another kind or name) is linted again here, where the loader is the sequential one."""
    by_target = {i: r for r in results for i in r.findings}
    loader = _RecordingLoader({}, run.limit)
    run.loader = loader
    for i, target in enumerate(targets):
        result = by_target.get(i)
        if result is None or not _consistent(result, i, loader.identity):
            run.target(target)
            continue
        run.findings.extend(result.findings[i])
        run.texts.update(result.texts.get(i, {}))
        run.templates.extend(result.templates.get(i, ()))
        for real, asked in result.requests[i]:
            if real not in loader.files:
                loader.files[real] = result.files[real]
                loader.roots[real] = result.roots.get(real)
                loader.identity[real] = asked
                if asked[1] in result.data:
                    loader._data[asked[1]] = result.data[asked[1]]
    for result in results:  # files that could not be read are reported once, whoever met them
        for name, message in result.unreadable.items():
            loader.unreadable.setdefault(name, message)
