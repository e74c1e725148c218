"""Gather what the diagnosis needs about a failed run, then diagnose: the host's record (next to the golden
output), the image's record (the same probe, run once more in the sandbox, asked to look for the file the
prediction did not find and for the facts of the resources the failure names), the same facts on the host (the
probe run once here, with the recorded interpreter), and what the build context and .dockerignore say.

The only I/O of the diagnosis lives here; the judging is ``smoke.diagnose.diagnose`` (pure). A passing run never
comes here: the probe costs only failures.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reprocheck.backend.base import ContainerBackend, RunRequest, Sandbox
from reprocheck.envprobe import launcher, load_record, parse, probe_argv
from reprocheck.smoke.compare import moving_keys
from reprocheck.smoke.diagnose import Diagnosis, FileFacts, Probed, diagnose, rel_to_workdir
from reprocheck.smoke.differential import Production, Resources, extract
from reprocheck.smoke.explain import Explanation
from reprocheck.smoke.ml_facts import with_ml_facts
from reprocheck.smoke.record import env_record_path
from reprocheck.smoke.spec import SmokeSpec

HOST_PROBE_TIMEOUT = 30.0
# Modules that add fact sources (``differential.register``) when they exist: the ML comparison of the image's
# frameworks against the host's (out["ml"] of both records) is one; imported only when a run fails.
EXTRA_FACT_SOURCES = ("reprocheck.smoke.ml_facts",)
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "site-packages", ".tox", ".mypy_cache", "golden"}
_MAX_SOURCES = 300
_ENV_READ = re.compile(
    r"""(?:environ\s*\[\s*|environ\.get\(\s*|getenv\(\s*|environ\.setdefault\(\s*)['"]([A-Za-z_][A-Za-z0-9_]*)['"]"""
)
_DATA_FILE = re.compile(
    r"""['"]([\w./-]+\.(?:json|pkl|pickle|joblib|pt|pth|onnx|txt|csv|tsv|ya?ml|bin|npy|npz|parquet|h5|"""
    r"""safetensors|model|cfg|ini|toml|msgpack))['"]"""
)


def probe_image(
    backend: ContainerBackend,
    image: str,
    sandbox: Sandbox,
    command: tuple[str, ...],
    find: tuple[str, ...] = (),
    facts: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """(the image's environment record, or None with the reason)."""
    for python in dict.fromkeys((launcher(command), "python3", "python")):
        try:
            ran = backend.run(RunRequest(image, tuple(probe_argv(python, command, find, facts)), sandbox, 60))
        except Exception as exc:  # the diagnosis never hides the failure it explains
            return None, f"the environment probe did not run in the image: {exc}"
        record = parse(ran.stdout) if ran.exit_code == 0 else None
        if record is not None:
            return record, None
        if ran.exit_code not in (126, 127):  # 126/127: no such interpreter, try the next name
            break
    return None, "the environment probe found no Python in the image"


def file_facts(spec: SmokeSpec, workdir: str, crash: Explanation, image: dict[str, Any] | None) -> FileFacts | None:
    """What the project, its .dockerignore and the image say about the file the prediction did not find."""
    from reprocheck.lint.dockerignore import DockerIgnore

    if crash.cause != "file not found" or not crash.subject:
        return None
    rel = rel_to_workdir(crash.subject, workdir)
    inside = not rel.startswith("/") and ".." not in Path(rel).parts  # the path comes from the container
    in_context = inside and (spec.context / rel).is_file()
    ignored = None
    if inside:
        pattern = DockerIgnore.for_context(spec.context, spec.dockerfile).excluded_by(rel)
        ignored = (pattern.line, pattern.text) if pattern is not None else None
    found_map = image.get("found") if image else None
    found = found_map.get(crash.subject, []) if isinstance(found_map, dict) else []
    return FileFacts(crash.subject, workdir, in_context, ignored, tuple(str(f) for f in found))


def load_fact_sources(names: tuple[str, ...] = EXTRA_FACT_SOURCES) -> list[str]:
    """Import the modules that register more fact sources; those not present are skipped. (The loaded ones.)"""
    import importlib

    loaded = []
    for name in names:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        loaded.append(name)
    return loaded


def probe_host_facts(spec: SmokeSpec, host: Mapping[str, Any] | None, request: Mapping[str, Any]) -> dict[str, Any]:
    """The same facts on this machine: the probe run here, in the project, with the interpreter the record
    names (the one that ran the prediction when it was recorded) when it still exists, else this one."""
    interp = host.get("interpreter") if isinstance(host, Mapping) else None
    recorded = str(interp.get("executable") or "") if isinstance(interp, Mapping) else ""
    python = recorded if recorded and os.path.isfile(recorded) else sys.executable
    env = {**os.environ, **spec.env}
    if python == recorded:
        env["REPROCHECK_PROBE_RESOLVED"] = "1"  # it is the command's interpreter already
    try:
        proc = subprocess.run(
            probe_argv(python, spec.command, facts=request),
            cwd=spec.root,
            env=env,
            capture_output=True,
            timeout=HOST_PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    doc = parse(proc.stdout)
    facts = doc.get("facts") if doc else None
    return dict(facts) if isinstance(facts, Mapping) else {}


def _sources(spec: SmokeSpec) -> list[Path]:
    out: list[Path] = []
    for path in sorted(spec.context.rglob("*.py")):
        if len(out) >= _MAX_SOURCES:
            break
        rel = path.relative_to(spec.context)
        if any(part in _SKIP_DIRS for part in rel.parts) or path.is_symlink():
            continue
        out.append(path)
    return out


def code_facts(spec: SmokeSpec) -> tuple[dict[str, str], dict[str, str]]:
    """(variables the project's code reads -> where, files the code names that the project has -> sha256)."""
    reads: dict[str, str] = {}
    files: dict[str, str] = {}
    for path in _sources(spec):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[: 512 * 1024]
        except OSError:
            continue
        rel = path.relative_to(spec.context).as_posix()
        for number, line in enumerate(text.splitlines(), 1):
            for m in _ENV_READ.finditer(line):
                reads.setdefault(m.group(1), f"{rel}:{number}")
            for m in _DATA_FILE.finditer(line):
                name = m.group(1)
                target = spec.context / name
                if name in files or len(files) >= 20 or ".." in Path(name).parts or name.startswith("/"):
                    continue
                try:
                    if target.is_file() and not target.is_symlink() and target.stat().st_size <= 64 * 1024**2:
                        files[name] = hashlib.sha256(target.read_bytes()).hexdigest()
                except OSError:
                    continue
    return reads, files


def production(spec: SmokeSpec) -> Production:
    """What the spec declares production gives."""
    return Production(
        network=spec.network,
        read_only=spec.read_only,
        shm_size=spec.shm_size,
        gpus=bool(getattr(spec, "gpus", False)),
        user=spec.user,
    )


def diagnose_run(
    backend: ContainerBackend,
    spec: SmokeSpec,
    image: str,
    sandbox: Sandbox | None,
    *,
    crash: Explanation | None = None,
    output: bytes | None = None,
    notes: list[str] | None = None,
) -> Diagnosis:
    """Probe the image and diagnose a crash (``crash``) or a mismatch (``output`` against the golden)."""
    host = load_record(env_record_path(spec.golden))
    load_fact_sources()
    find = (crash.subject,) if crash and crash.cause == "file not found" and crash.subject else ()
    # 1. extract what the failure touched; 2. the same facts on both sides (one probe run each)
    reads, files = code_facts(spec) if crash is None else ({}, {})
    resources = extract(crash, spec.command) if crash is not None else Resources(env=tuple(reads), paths=tuple(files))
    request = resources.request()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:  # the host's side runs while the image's container does
        host_side = pool.submit(probe_host_facts, spec, host, request) if request else None
        image_record, problem = (
            probe_image(backend, image, sandbox, spec.command, find, request) if sandbox is not None else (None, None)
        )
        host_facts = host_side.result() if host_side is not None else {}
    probed = Probed(host_facts, {}, spec.command, production(spec), reads, files)
    if problem and notes is not None:
        notes.append(problem)
    if crash is not None:
        try:
            info = backend.inspect(image) if find else None
        except Exception:  # an engine error here leaves the working directory unknown, nothing more
            info = None
        workdir = spec.workdir or (info.workdir if info and info.workdir else "/")
        d = diagnose(
            host, image_record, crash=crash, file=file_facts(spec, workdir, crash, image_record), probed=probed
        )
    else:
        golden = spec.read_golden()
        differing = moving_keys(golden, output or b"", spec.compare, spec.tolerance, spec.keys)
        d = diagnose(
            host,
            image_record,
            golden=golden,
            output=output,
            mode=spec.compare,
            differing=differing,
            probed=probed,
        )
    d = with_ml_facts(d, host, image_record)  # frameworks' builds and GPUs of both sides (smoke/ml_facts.py)
    # the JSON report keeps the image's environment record beside the diagnosis
    return replace(d, details={**d.details, "image_record": image_record}) if image_record else d
