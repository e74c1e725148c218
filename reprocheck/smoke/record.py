"""``reprocheck record``: run the prediction on the host (twice by default: ``runs``), keep its output as the
golden file, and beside it the environment record (reprocheck/envprobe.py: the interpreter that runs the command,
every installed distribution, platform, libc, CPUs, timezone, locale, PYTHONHASHSEED, environment variables,
working directory) and whether the prediction is deterministic here (the keys that moved between runs)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reprocheck.envprobe import SCHEMA, VOLATILE_KEY, packages, parse, probe_argv, relative_cwd
from reprocheck.errors import ReprocheckError
from reprocheck.files import write_atomic
from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.model.names import canonical
from reprocheck.smoke.compare import moving_keys
from reprocheck.smoke.spec import SmokeSpec

if TYPE_CHECKING:
    from reprocheck.backend.http import Reply


class RecordError(ReprocheckError):
    """The prediction failed on the host: nothing to record."""


@dataclass(frozen=True)
class RecordResult:
    golden: Path
    env_record: Path
    seconds: float
    packages: dict[str, str | None]  # the lock's names -> the version installed here
    moving: tuple[str, ...] = ()  # keys whose values differ between the host's runs (empty: deterministic)
    runs: int = 1
    interpreter: str = ""  # which Python ran the command, and how it was found
    findings: tuple[Finding, ...] = ()
    locked: dict[str, str | None] | None = None  # the lock's names -> the version it pins (None: no pin)
    case: str = ""  # the case's name, when the spec holds several

    def counts(self) -> tuple[list[str], list[tuple[str, str, str]], list[str]]:
        """(at the locked version, at another version as (name, here, locked), missing here)."""
        return lock_counts(self.packages, self.locked or {})


def same_version(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def lock_counts(
    installed: dict[str, str | None], locked: dict[str, str | None]
) -> tuple[list[str], list[tuple[str, str, str]], list[str]]:
    """Each lock name as found here: at the lock's version (or installed, when the lock pins none), at
    another version, or missing. Pure."""
    at: list[str] = []
    other: list[tuple[str, str, str]] = []
    missing: list[str] = []
    for name, here in installed.items():
        want = locked.get(name)
        if not here:
            missing.append(name)
        elif want and not same_version(here, want):
            other.append((name, here, want))
        else:
            at.append(name)
    return at, other, missing


def env_record_path(golden: Path) -> Path:
    return golden.with_name(golden.name + ".env.json")


def lock_names(spec: SmokeSpec) -> list[str]:
    """The packages the project's lock names: ``lock`` of the spec, else what the Dockerfile installs."""
    return sorted(locked_versions(spec))


def locked_versions(spec: SmokeSpec) -> dict[str, str | None]:
    """The lock's names -> the exact version it pins (None when it pins none)."""
    from reprocheck.lint.project import DepLoader, build_project
    from reprocheck.model.deps import DependencyFile
    from reprocheck.parsing.dockerfile import parse_dockerfile

    files: list[DependencyFile] = []
    loader = DepLoader()
    if spec.lock is not None and spec.lock.is_file():
        f = loader.load(spec.lock)
        if f is not None:
            files.append(f)
    else:
        df = parse_dockerfile(spec.dockerfile.read_bytes(), str(spec.dockerfile))
        project = build_project(df, spec.dockerfile, loader)
        files = [item.lock or item.file for item in project.installed if (item.lock or item.file) is not None]  # type: ignore[misc]
    versions: dict[str, str | None] = {}
    for f in files:
        for d in f.dependencies:
            if d.name and d.spec.kind.value == "name":
                pin = d.spec.version if d.spec.pinned else None
                versions[canonical(d.name)] = versions.get(canonical(d.name)) or pin
        for p in f.locked:
            if p.source == "registry":
                versions[canonical(p.name)] = p.version or versions.get(canonical(p.name))
    return dict(sorted(versions.items()))


def _stop_group(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop the server and every process of its session (its workers, what its shell started): TERM, then
    KILL to what is left after ``grace`` seconds."""
    import signal
    import time

    def signal_group(sig: int) -> bool:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    if not signal_group(signal.SIGTERM):
        proc.poll()
        return
    deadline = time.monotonic() + grace
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    while time.monotonic() < deadline and signal_group(0):  # the session's other processes, if any
        time.sleep(0.05)
    signal_group(signal.SIGKILL)
    proc.wait()


def serve_on_host(
    spec: SmokeSpec,
    env: dict[str, str],
    progress: Callable[[str], None] | None = None,
    cases: tuple[SmokeSpec, ...] = (),
) -> list[bytes]:
    """Start the server command on this machine, wait for readiness, send each case's request in turn (as the
    smoke test asks the container's one server; just ``spec``'s without ``cases``), stop the server."""
    import tempfile
    import time

    from reprocheck.backend.http import ServerMisbehaved, http_ready, port_open, send
    from reprocheck.backend.logmatch import compile_log_pattern

    serve = spec.serve
    assert serve is not None
    command = spec.command or serve.record_command
    if not command:
        raise RecordError(
            "serve mode records by starting the server on this machine: set `serve.record-command` to the server "
            "command (or `command`, which then replaces the image's own in the container too)",
            path=spec.config_path,
            line=spec.line_of("serve"),
        )
    if port_open(serve.port):
        raise RecordError(
            f"port {serve.port} is already in use on this machine: stop what listens there, then record",
            path=spec.config_path,
            line=spec.line_of("serve"),
        )
    with tempfile.TemporaryFile() as log:
        try:
            # a session of its own: stopping it stops what it started too (`sh -c "gunicorn ..."`, the form
            # of many images' CMD, forks the server; a signal to the shell alone left it holding the port)
            proc = subprocess.Popen(
                list(command), cwd=spec.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        except FileNotFoundError:
            raise RecordError(
                f"`{command[0]}` is not found on this machine", path=spec.config_path, line=spec.line_of("command")
            ) from None
        try:
            from reprocheck.smoke.readiness import Ticker, advice, listen_address

            deadline = time.monotonic() + serve.ready_timeout
            pattern = compile_log_pattern(serve.ready_log) if serve.ready_log else None
            ticker = Ticker(progress or (lambda _m: None), f"{serve.readiness} on 127.0.0.1", serve.ready_timeout)
            next_word = time.monotonic() + ticker.every
            if progress is not None:
                progress(f"starting `{' '.join(command)}` here; waiting for {serve.readiness}")
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    tail = log.read().decode("utf-8", "replace").strip().splitlines()[-1:] or ["(no output)"]
                    raise RecordError(
                        f"the server exited on the host (code {proc.returncode}) before it was ready: {tail[0]}",
                        path=spec.config_path,
                        line=spec.line_of("command"),
                    )
                if pattern is not None:
                    log.seek(0)
                    ready = bool(pattern.search(log.read().decode("utf-8", "replace")))
                elif serve.ready_http:
                    try:
                        ready = http_ready(serve.port, serve.ready_http)
                    except ServerMisbehaved as exc:
                        raise RecordError(str(exc), path=spec.config_path, line=spec.line_of("serve")) from None
                else:
                    ready = port_open(serve.port)
                if ready:
                    break
                if time.monotonic() > deadline:
                    log.seek(0)
                    said = log.read().decode("utf-8", "replace")
                    last = " / ".join(said.strip().splitlines()[-3:]) or "(no output)"
                    raise RecordError(
                        f"the server was not ready on the host after ready-timeout = {serve.ready_timeout:g} s "
                        f"(waiting for {serve.readiness}); {advice(listen_address(said), serve.port, False)}; "
                        f"the end of its output: {last}",
                        path=spec.config_path,
                        line=spec.line_of("serve"),
                    )
                if progress is not None and time.monotonic() >= next_word:
                    progress(ticker.line())
                    next_word += ticker.every
                time.sleep(0.1)
            replies = [
                (case, send(serve.port, case.serve or serve, spec.timeout, limit=spec.max_output))
                for case in cases or (spec,)
            ]
        finally:
            _stop_group(proc)
    return [_host_answer(case, reply) for case, reply in replies]


def _host_answer(spec: SmokeSpec, reply: Reply) -> bytes:
    """The body of a reply the server gave on the host, or why it cannot be a golden output."""
    from reprocheck.backend.http import redirect_message

    serve = spec.serve
    assert serve is not None
    what = f"case `{spec.case}`: {serve.method} {serve.path}" if spec.case else f"{serve.method} {serve.path}"
    status, body = reply.status, reply.body
    if status is None or body is None:
        why = reply.misbehaved or reply.error
        raise RecordError(f"{what} failed on the host: {why}", path=spec.config_path)
    if 300 <= status < 400 and status != serve.status:
        raise RecordError(
            redirect_message(what, status, reply.location),
            path=spec.config_path,
            line=spec.line_of("serve"),
        )
    if len(body) > spec.max_output:
        raise RecordError(f"{what} answered more than max-output on the host", path=spec.config_path)
    if status != serve.status:
        raise RecordError(
            f"{what} answered HTTP {status} on the host, expected {serve.status}",
            path=spec.config_path,
            line=spec.line_of("serve"),
        )
    return body


def record(spec: SmokeSpec, progress: Callable[[str], None] | None = None) -> RecordResult:
    if spec.serve is not None:
        return record_served((spec,), progress)[0]
    env = {**os.environ, **spec.env}
    started = datetime.now(UTC)
    outputs: list[bytes] = []
    seconds: list[float] = []
    for _ in range(max(1, spec.runs)):
        t0 = time.monotonic()
        outputs.append(_run_once(spec, env))
        seconds.append(round(time.monotonic() - t0, 3))
    return _write(spec, outputs, env, started, seconds)


def record_served(cases: tuple[SmokeSpec, ...], progress: Callable[[str], None] | None = None) -> list[RecordResult]:
    """Serve-mode cases that share one server: each run starts it once and asks every case in turn, as the
    smoke test does in the container (a server that keeps state between requests answers the same way)."""
    first = cases[0]
    env = {**os.environ, **first.env}
    started = datetime.now(UTC)
    runs: list[list[bytes]] = []
    seconds: list[float] = []
    for _ in range(max(1, first.runs)):
        t0 = time.monotonic()
        runs.append(serve_on_host(first, env, progress, cases))
        seconds.append(round(time.monotonic() - t0, 3))
    return [_write(case, [run[i] for run in runs], env, started, seconds) for i, case in enumerate(cases)]


def _run_once(spec: SmokeSpec, env: dict[str, str]) -> bytes:
    output_path = spec.root / spec.output if spec.output != "stdout" else None
    if output_path is not None and output_path.is_file() and not output_path.is_symlink():
        output_path.unlink()  # each run must write it afresh
    try:
        proc = subprocess.run(
            list(spec.command), cwd=spec.root, env=env, capture_output=True, timeout=spec.timeout, check=False
        )
    except FileNotFoundError:
        raise RecordError(
            f"`{spec.command[0]}` is not found on this machine", path=spec.config_path, line=spec.line_of("command")
        ) from None
    except subprocess.TimeoutExpired:
        raise RecordError(
            f"the prediction ran longer than timeout = {spec.timeout:g} s on the host",
            path=spec.config_path,
            line=spec.line_of("timeout"),
        ) from None
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["(no stderr)"]
        raise RecordError(
            f"the prediction failed on the host (exit {proc.returncode}): {tail[0]}",
            path=spec.config_path,
            line=spec.line_of("command"),
        )
    if output_path is not None:
        if not output_path.is_file():
            raise RecordError(
                f"the prediction did not write `{spec.output}`", path=spec.config_path, line=spec.line_of("output")
            )
        return output_path.read_bytes()
    return proc.stdout


def probe_host(spec: SmokeSpec, env: dict[str, str]) -> dict[str, Any]:
    """The environment record of the interpreter that runs the command (the probe follows a console script
    to its shebang's Python), or a record that says why there is none."""
    try:
        proc = subprocess.run(
            probe_argv(sys.executable, spec.command or (spec.serve.record_command if spec.serve else ())),
            cwd=spec.root,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"the environment probe did not run: {exc}"}
    doc = parse(proc.stdout)
    if doc is None:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return {"error": f"the environment probe failed: {last[0]}"}
    return doc


def determinism_finding(spec: SmokeSpec, moving: list[str], runs: int) -> Finding:
    from reprocheck.rules.runtime import NOT_DETERMINISTIC

    shown = ", ".join(moving[:10]) + (f" and {len(moving) - 10} more" if len(moving) > 10 else "")
    return NOT_DETERMINISTIC.finding(
        Location(spec.config_path, spec.line_of("command")),
        f"the prediction is not deterministic on this machine: {len(moving)} key(s) moved between {runs} runs "
        f"({shown})",
        hint="usual causes: unseeded randomness (seed random, numpy, torch), hash order (sort what comes from "
        "sets; PYTHONHASHSEED), the time of day (take it from the input), thread count (fix OMP/MKL threads); "
        "smoke will not blame the container for these keys",
        cause="not deterministic on the host",
        evidence=tuple(f"moved: {m}" for m in moving[:20]),
        details={"moving": moving, "runs": runs},
    )


def committable(spec: SmokeSpec, record_data: dict[str, Any]) -> dict[str, Any]:
    """The record as it is committed: project and home paths relative, variable values hashed except those
    the spec sets, the code reads, ``keep-env`` names, and the ones that change results (smoke/committable.py)."""
    from reprocheck.smoke.committable import names_the_code_reads, reduce_record

    keep = {*spec.env, *spec.keep_env}
    if "all" not in keep:
        keep |= names_the_code_reads(spec.root)
    home = os.environ.get("HOME") or str(Path.home())
    return reduce_record(record_data, root=str(spec.root), home=home, keep=keep)


def _write(
    spec: SmokeSpec, outputs: list[bytes], env: dict[str, str], started: datetime, seconds: list[float]
) -> RecordResult:
    output = outputs[0]
    moving: list[str] = []
    for other in outputs[1:]:
        moving += moving_keys(output, other, spec.compare, spec.tolerance, spec.keys)
    moving = sorted(set(moving))
    spec.golden.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(spec.golden, output)
    pins = locked_versions(spec)
    names = sorted(pins)
    probe = probe_host(spec, env)
    installed = packages(probe)
    lock_versions: dict[str, str | None] = {n: installed.get(n) for n in names}
    record_data: dict[str, Any] = {
        "schema": SCHEMA,
        "command": list(spec.command),
        **{k: v for k, v in probe.items() if k != "cwd"},
        "cwd": relative_cwd(str(probe.get("cwd", spec.root)), str(spec.root)),
        "packages": lock_versions,
        "determinism": {"runs": len(outputs), "deterministic": not moving, "moving": moving},
        VOLATILE_KEY: {"at": started.isoformat(timespec="seconds"), "seconds": seconds},
    }
    record_data = committable(spec, record_data)
    env_path = env_record_path(spec.golden)
    write_atomic(env_path, json.dumps(record_data, indent=2, sort_keys=True) + "\n")
    interp = probe.get("interpreter") if isinstance(probe.get("interpreter"), dict) else {}
    how = f"{interp.get('executable', '?')} ({interp.get('resolved_from', '')})" if interp else str(probe.get("error"))
    findings = (determinism_finding(spec, moving, len(outputs)),) if moving else ()
    return RecordResult(
        spec.golden, env_path, sum(seconds), lock_versions, tuple(moving), len(outputs), how, findings, pins, spec.case
    )
