"""Gather what the diagnosis needs about a failed run, then diagnose: the host's record (next to the golden
output), the image's record (the same probe, run once more in the sandbox, asked to look for the file the
prediction did not find), and what the build context and .dockerignore say about that file.

The only I/O of the diagnosis lives here; the judging is ``smoke.diagnose.diagnose`` (pure)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from reprocheck.backend.base import ContainerBackend, Sandbox
from reprocheck.envprobe import launcher, load_record, parse, probe_argv
from reprocheck.smoke.compare import moving_keys
from reprocheck.smoke.diagnose import Diagnosis, FileFacts, diagnose, rel_to_workdir
from reprocheck.smoke.explain import Explanation
from reprocheck.smoke.ml_facts import with_ml_facts
from reprocheck.smoke.record import env_record_path
from reprocheck.smoke.spec import SmokeSpec


def probe_image(
    backend: ContainerBackend, image: str, sandbox: Sandbox, command: tuple[str, ...], find: tuple[str, ...] = ()
) -> tuple[dict[str, Any] | None, str | None]:
    """(the image's environment record, or None with the reason)."""
    for python in dict.fromkeys((launcher(command), "python3", "python")):
        try:
            ran = backend.run(image, tuple(probe_argv(python, command, find)), sandbox, 60)
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
    find = (crash.subject,) if crash and crash.cause == "file not found" and crash.subject else ()
    image_record, problem = (
        probe_image(backend, image, sandbox, spec.command, find) if sandbox is not None else (None, None)
    )
    if problem and notes is not None:
        notes.append(problem)
    if crash is not None:
        try:
            info = backend.inspect(image) if find else None
        except Exception:  # an engine error here leaves the working directory unknown, nothing more
            info = None
        workdir = spec.workdir or (info.workdir if info and info.workdir else "/")
        d = diagnose(host, image_record, crash=crash, file=file_facts(spec, workdir, crash, image_record))
    else:
        golden = spec.golden.read_bytes()
        differing = moving_keys(golden, output or b"", spec.compare, spec.tolerance, spec.keys)
        d = diagnose(host, image_record, golden=golden, output=output, mode=spec.compare, differing=differing)
    d = with_ml_facts(d, host, image_record)  # frameworks' builds and GPUs of both sides (smoke/ml_facts.py)
    # the JSON report keeps the image's environment record beside the diagnosis
    return replace(d, details={**d.details, "image_record": image_record}) if image_record else d
