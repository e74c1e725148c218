"""Lint many files on several cores, with the report the sequential run gives, byte for byte.

The targets are cut into small chunks, in order. This process lints chunks from the front, in order, with
the run's own loader, exactly as the sequential run would; forked workers (``workers - 1`` of them) take
chunks from the back, each with a loader of its own, and send per target its findings and the dependency
files it asked for (with how each was answered), per chunk the files it parsed. When front and back meet,
this process enters the workers' targets in order into its run: the prefix it linted itself is the
sequential run's, so each worker target is checked against the loader the sequential run would have had at
that point, and entered as it is, or linted again here when it saw a dependency file otherwise. The shared
pass over dependency files and lock pairs (``_Run.finish``) runs once, here, as before.

Why a worker could see a file otherwise: a dependency file is parsed under the kind and name of whoever
loads it first, and read (or refused) under the tree of whoever asks. Names do not depend on the order
(``DepLoader.name``); kinds and trees can. Workers parse a file named on the command line as the command
line names it (the usual first loader). A request is entered as it is when the sequential loader would
have answered it alike: served from its cache when the file was loaded before (and parsed as the worker's
was), else read here under the request's tree (refused alike, or parsed as the request asks).

Chunks are claimed through a pipe holding one token (the next front and back chunks), so the split follows
the machine's load; workers write a frame per chunk to a pipe of their own, which this process drains (and
unpickles) between its own chunks. A worker that fails leaves its targets to this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.finding import Finding
from reprocheck.parsing.depfiles import guess_kind

from . import files
from .discover import FileKind, Target
from .project import DepLoader

if TYPE_CHECKING:
    from .run import _Run

# Below this many Dockerfiles a pool saves little or nothing. Measured on subsets of the corpus (small
# projects, with their dependency files; median of 5, CPU of the parent, which is the critical path on idle
# cores, against the sequential run's): 16 Dockerfiles 327 vs 366 ms, 32: 407 vs 528 ms, 64: 473 vs 827 ms;
# the pool costs ~60-100 ms of CPU more in all (fork, frames, a worker's first calls). See CONTRIBUTING.md.
MIN_DOCKERFILES = 32
MAX_WORKERS = 8
CHUNK = 4  # targets per claim: small, so that the last chunk of the slower side is short

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


class _Request(NamedTuple):
    """One ``DepLoader.load`` in a worker, and how it was answered."""

    real: Path | None  # None: the name could not be resolved (too long)
    asked: Identity
    root: Path | None
    cached: bool  # served from the worker's cache
    refused: str | None  # why a read of it here, under ``root``, fails (None: it succeeds)


class _Parsed(NamedTuple):
    """A dependency file a worker parsed: as what, the tree it was read under, its bytes if they hold a pragma."""

    file: DependencyFile
    identity: Identity
    root: Path | None
    data: bytes | None


class _Linted(NamedTuple):
    """One target linted in a worker."""

    at: int  # the target's place in the run
    findings: list[Finding]
    requests: list[_Request]
    text: str | None  # a Dockerfile's text (fingerprints)
    template: bool


class _RecordingLoader(DepLoader):
    """A loader that knows what each file was parsed as. In a worker (``requests`` is a list) it also
    records every load, and parses a file named on the command line (``seeds``) as the command line names it."""

    def __init__(
        self,
        limit: int,
        roots: Sequence[tuple[Path, str]],
        seeds: dict[Path, Identity] | None = None,
    ) -> None:
        super().__init__(limit, roots)
        self.seeds = seeds or {}
        self.identity: dict[Path, Identity] = {}
        self.requests: list[_Request] | None = None if seeds is None else []
        self.fresh: list[Path] = []  # parsed since the last frame
        self._refused: str | None = None

    def load(
        self,
        path: Path,
        kind: DepKind | None = None,
        shown: str | None = None,
        root: Path | None = None,
        data: bytes | None = None,
    ) -> DependencyFile | None:
        asked: Identity = (kind or guess_kind(path.name), shown or self.name(path))
        real = files.real(path)
        if real is None:
            message = "cannot read: the file name is too long"
            self._unreadable(asked[1], message)
            self._record(_Request(None, asked, root, False, message))
            return None
        if real in self.files:
            if self.requests is not None:
                refused = files.outside(path, root) if data is None else None
                self._record(_Request(real, asked, root, True, refused.message if refused else None))
            return self.files[real]
        use = self.seeds.get(real, asked)
        self._refused = None
        parsed = self._read(path, real, use[0], use[1], root, data)
        if parsed is None:
            self._record(_Request(real, asked, root, False, self._refused))
            return None
        self.identity[real] = use
        self.fresh.append(real)
        self._record(_Request(real, asked, root, False, None))
        return parsed

    def _unreadable(self, name: str, message: str) -> None:
        self._refused = message
        super()._unreadable(name, message)

    def _record(self, request: _Request) -> None:
        if self.requests is not None:
            self.requests.append(request)


# ---- the claims


class _Abandoned(Exception):
    """The token did not come back: the process holding it is gone."""


def _claim(token: tuple[int, int], front: bool, others_alive: Callable[[], bool]) -> int | None:
    """The next chunk from the front (this process) or the back (a worker); None when they have met.
    Waiting for the token, each second: is the process that may hold it still there (a worker killed while
    holding it, or a parent killed, must not leave the others waiting forever)?"""
    import select

    r, w = token
    while not select.select([r], [], [], 1.0)[0]:
        if not others_alive():
            raise _Abandoned
    state = os.read(r, 8)  # blocks (briefly) if another process took the token first
    lo, hi = int.from_bytes(state[:4], "big"), int.from_bytes(state[4:], "big")
    if lo >= hi:
        os.write(w, state)
        return None
    if front:
        k, lo = lo, lo + 1
    else:
        hi -= 1
        k = hi
    os.write(w, lo.to_bytes(4, "big") + hi.to_bytes(4, "big"))
    return k


def _chunks(count: int) -> list[range]:
    return [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]


# ---- a worker


def _work(template: _Run, targets: list[Target], chunks: list[range], token: tuple[int, int], out: int) -> None:
    import pickle

    from .run import _Run

    seeds: dict[Path, Identity] = {}  # by the path found (a linked file is not resolved: it is only a guess)
    for t in targets:
        if t.kind is FileKind.DEPENDENCIES and t.fs_path is not None and t.dep_kind is not None:
            seeds.setdefault(t.fs_path, (t.dep_kind, t.path))
    run = _Run(template.options, template.dispatcher, template.rule_options, template.roots)
    loader = _RecordingLoader(run.limit, run.roots, seeds)
    run.loader = loader
    parent = os.getppid()
    while (k := _claim(token, False, lambda: os.getppid() == parent)) is not None:
        linted = []
        for i in chunks[k]:
            loader.requests, run.findings, run.texts, run.templates = [], [], {}, []
            run.target(targets[i])
            text = run.texts.get(targets[i].path)
            linted.append(_Linted(i, run.findings, loader.requests, text, bool(run.templates)))
        parsed = {
            real: _Parsed(loader.files[real], loader.identity[real], loader.roots[real], loader._data.get(name))
            for real in loader.fresh
            for name in (loader.identity[real][1],)
        }
        loader.fresh = []
        frame = pickle.dumps((linted, parsed), pickle.HIGHEST_PROTOCOL)
        view = memoryview(len(frame).to_bytes(8, "big") + frame)
        while view:
            view = view[os.write(out, view) :]


@dataclass
class _Worker:
    """A forked worker, seen from this process: the frames read from its pipe so far."""

    pid: int
    fd: int
    buffer: bytearray = field(default_factory=bytearray)
    linted: list[_Linted] = field(default_factory=list)
    parsed: dict[Path, _Parsed] = field(default_factory=dict)

    def running(self) -> bool:
        """Whether the worker has not exited (reaped here if it has)."""
        if self.pid and os.waitpid(self.pid, os.WNOHANG)[0] == 0:
            return True
        self.pid = 0
        return False

    def drain(self, wait: bool = False) -> None:
        """Read what the worker has written (until it exits, with ``wait``) and unpickle whole frames."""
        import pickle

        os.set_blocking(self.fd, wait)
        while True:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.buffer += chunk
        while len(self.buffer) >= 8:
            size = int.from_bytes(self.buffer[:8], "big")
            if len(self.buffer) < 8 + size:
                break
            linted, parsed = pickle.loads(self.buffer[8 : 8 + size])  # a copy: no view holds the buffer
            del self.buffer[: 8 + size]
            self.linted.extend(linted)
            self.parsed.update(parsed)


def _fork(run: _Run, targets: list[Target], chunks: list[range], token: tuple[int, int]) -> _Worker | None:
    r, w = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(w, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)  # a frame rarely waits for the reader
    except (ImportError, OSError):
        pass
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # the worker: never returns, never runs the parent's clean-up or flushes its buffers
        code = 1
        try:
            os.close(r)
            _work(run, targets, chunks, token, w)
            code = 0
        except BaseException:  # its targets are linted again by the parent
            pass
        finally:
            os._exit(code)
    os.close(w)
    return _Worker(pid, r)


def lint_targets(run: _Run, targets: Sequence[Target], workers: int) -> None:
    """Fill ``run`` (findings, loaded dependency files) as ``for t in targets: run.target(t)`` would."""
    targets = list(targets)
    chunks = _chunks(len(targets))
    from reprocheck.parsing.depfiles import preload_parsers

    # imported here once, not in every process (~60-100 ms of CPU each): the kinds named on the command
    # line, and requirements files, which nearly every Dockerfile that installs Python packages reads
    preload_parsers([DepKind.REQUIREMENTS, *(t.dep_kind for t in targets if t.dep_kind is not None)])
    run.loader = _RecordingLoader(run.limit, run.roots)
    r, w = os.pipe()
    token = (r, w)
    os.write(w, (0).to_bytes(4, "big") + len(chunks).to_bytes(4, "big"))
    forked: list[_Worker] = []
    try:
        # the collector is off (run.py): a worker does not walk, and so copy, the pages it inherits
        for _ in range(workers - 1):
            worker = _fork(run, targets, chunks, token)
            if worker is not None:
                forked.append(worker)
        front = 0
        try:
            while (k := _claim(token, True, lambda: all(x.running() for x in forked))) is not None:
                for i in chunks[k]:
                    run.target(targets[i])
                front = k + 1
                for worker in forked:
                    worker.drain()
        except _Abandoned:  # a worker died holding the token: the others stop here, the rest is linted here
            for worker in forked:
                if worker.pid:
                    _stop(worker.pid)
                    worker.pid = 0
        for worker in forked:
            worker.drain(wait=True)
            if worker.pid:
                os.waitpid(worker.pid, 0)
                worker.pid = 0
    finally:
        for worker in forked:
            if worker.pid:
                _stop(worker.pid)
            os.close(worker.fd)
        os.close(r)
        os.close(w)
    _replay(run, targets, chunks[front].start if front < len(chunks) else len(targets), forked)


def _stop(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


# ---- the replay


def _replay(run: _Run, targets: list[Target], start: int, workers: list[_Worker]) -> None:
    """Enter the workers' targets (from ``start`` on) into ``run`` in order, each as it is when the
    sequential loader would have answered its requests alike, else linted again here."""
    done: dict[int, tuple[_Linted, dict[Path, _Parsed]]] = {}
    for worker in workers:
        for linted in worker.linted:
            done[linted.at] = (linted, worker.parsed)
    loader = run.loader
    assert isinstance(loader, _RecordingLoader)
    for i in range(start, len(targets)):
        got = done.get(i)
        entered = _enter(loader, *got) if got is not None else None
        if got is None or entered is None:
            run.target(targets[i])
            continue
        linted = got[0]
        run.findings.extend(linted.findings)
        if linted.text is not None:
            run.texts[targets[i].path] = linted.text
        if linted.template:
            run.templates.append(targets[i].path)
        loaded, unreadable = entered
        for real, (parsed, root) in loaded.items():
            loader.files[real] = parsed.file
            loader.roots[real] = root
            loader.identity[real] = parsed.identity
            if parsed.data is not None:
                loader._data[parsed.identity[1]] = parsed.data
        for name, message in unreadable:
            loader.unreadable.setdefault(name, message)


def _enter(
    loader: _RecordingLoader, linted: _Linted, parsed: dict[Path, _Parsed]
) -> tuple[dict[Path, tuple[_Parsed, Path | None]], list[tuple[str, str]]] | None:
    """What target ``linted`` adds to the sequential loader (files, unreadable names), or None when the
    sequential loader would have answered one of its requests otherwise."""
    loaded: dict[Path, tuple[_Parsed, Path | None]] = {}
    unreadable: list[tuple[str, str]] = []
    for request in linted.requests:
        if request.real is None:
            unreadable.append((request.asked[1], request.refused or ""))
            continue
        answered = request.cached or request.refused is None  # the worker gave the target a file
        got = parsed.get(request.real)
        seen = loaded[request.real][0].identity if request.real in loaded else loader.identity.get(request.real)
        if seen is not None:  # loaded before: the sequential loader serves it from its cache
            if not answered or got is None or got.identity != seen:
                return None
        elif request.refused is not None:  # read here: refused alike
            if answered:
                return None
            unreadable.append((request.asked[1], request.refused))
        else:  # read here, parsed as asked
            if got is None or got.identity != request.asked:
                return None
            loaded[request.real] = (got, request.root)
    return loaded, unreadable
