"""``reprocheck record``: run the prediction on the host, keep its output as the golden file, and beside it a
record of the host environment (Python, platform, the installed versions of the packages the lock names)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reprocheck.errors import ReprocheckError
from reprocheck.files import write_atomic
from reprocheck.model.names import canonical
from reprocheck.smoke.spec import SmokeSpec

VERSIONS_SNIPPET = (
    "import json, sys\n"
    "from importlib import metadata\n"
    "out = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        out[name] = metadata.version(name)\n"
    "    except metadata.PackageNotFoundError:\n"
    "        out[name] = None\n"
    "print(json.dumps({'python': '.'.join(map(str, sys.version_info[:3])), 'packages': out}))\n"
)


class RecordError(ReprocheckError):
    """The prediction failed on the host: nothing to record."""


@dataclass(frozen=True)
class RecordResult:
    golden: Path
    env_record: Path
    seconds: float
    packages: dict[str, str | None]


def env_record_path(golden: Path) -> Path:
    return golden.with_name(golden.name + ".env.json")


def lock_names(spec: SmokeSpec) -> list[str]:
    """The packages the project's lock names: ``lock`` of the spec, else what the Dockerfile installs."""
    from reprocheck.engine.project import DepLoader, build_project
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
    names: list[str] = []
    for f in files:
        names += [d.name for d in f.dependencies if d.name and d.spec.kind.value == "name"]
        names += [p.name for p in f.locked if p.source == "registry"]
    return sorted({canonical(n) for n in names})


def interpreter_of(command: tuple[str, ...]) -> str:
    """The Python that runs the command (``python3 predict.py`` -> python3), else this one."""
    first = command[0] if command else ""
    if Path(first).name.startswith("python"):
        return first
    return sys.executable


def installed_versions(python: str, names: list[str], cwd: Path, env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run(
        [python, "-c", VERSIONS_SNIPPET, *names],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        return {"python": None, "packages": {}}
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def serve_on_host(spec: SmokeSpec, env: dict[str, str]) -> bytes:
    """Start the server command on this machine, wait for readiness, send the request, stop the server."""
    import re
    import signal
    import tempfile
    import time

    from reprocheck.smoke.http import http_ready, port_open, send_request

    serve = spec.serve
    assert serve is not None
    if not spec.command:
        raise RecordError(
            "serve mode records by starting the server on this machine: set `command` to the server command",
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
            proc = subprocess.Popen(list(spec.command), cwd=spec.root, env=env, stdout=log, stderr=subprocess.STDOUT)
        except FileNotFoundError:
            raise RecordError(
                f"`{spec.command[0]}` is not found on this machine", path=spec.config_path, line=spec.line_of("command")
            ) from None
        try:
            deadline = time.monotonic() + serve.ready_timeout
            pattern = re.compile(serve.ready_log, re.MULTILINE) if serve.ready_log else None
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
                    ready = http_ready(serve.port, serve.ready_http)
                else:
                    ready = port_open(serve.port)
                if ready:
                    break
                if time.monotonic() > deadline:
                    raise RecordError(
                        f"the server was not ready on the host after ready-timeout = {serve.ready_timeout:g} s "
                        f"(waiting for {serve.readiness})",
                        path=spec.config_path,
                        line=spec.line_of("serve"),
                    )
                time.sleep(0.1)
            status, body, error, _ = send_request(serve.port, serve, spec.timeout)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    if status is None or body is None:
        raise RecordError(f"{serve.method} {serve.path} failed on the host: {error}", path=spec.config_path)
    if status != serve.status:
        raise RecordError(
            f"{serve.method} {serve.path} answered HTTP {status} on the host, expected {serve.status}",
            path=spec.config_path,
            line=spec.line_of("serve"),
        )
    return body


def record(spec: SmokeSpec) -> RecordResult:
    env = {**os.environ, **spec.env}
    started = datetime.now(UTC)
    if spec.serve is not None:
        output = serve_on_host(spec, env)
        seconds = (datetime.now(UTC) - started).total_seconds()
        return _write(spec, output, env, started, seconds)
    output_path = spec.root / spec.output if spec.output != "stdout" else None
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
    seconds = (datetime.now(UTC) - started).total_seconds()
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
        output = output_path.read_bytes()
    else:
        output = proc.stdout
    return _write(spec, output, env, started, seconds)


def _write(spec: SmokeSpec, output: bytes, env: dict[str, str], started: datetime, seconds: float) -> RecordResult:
    spec.golden.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(spec.golden, output)
    names = lock_names(spec)
    versions = installed_versions(interpreter_of(spec.command), names, spec.root, env)
    raw = versions.get("packages")
    packages = {str(k): (str(v) if v else None) for k, v in raw.items()} if isinstance(raw, dict) else {}
    record_data = {
        "recorded": started.isoformat(timespec="seconds"),
        "command": list(spec.command),
        "seconds": round(seconds, 3),
        "python": versions.get("python"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": packages,
    }
    env_path = env_record_path(spec.golden)
    write_atomic(env_path, json.dumps(record_data, indent=2, sort_keys=True) + "\n")
    return RecordResult(spec.golden, env_path, seconds, packages)
