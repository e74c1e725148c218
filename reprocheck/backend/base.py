"""The container engine behind one interface: build, run sandboxed, inspect, export, remove, clean up.

Everything reprocheck creates carries ``LABEL``, the run's ``RUN_LABEL`` and the project's ``PROJECT_LABEL``,
so that a run removes only its own objects and ``reprocheck clean PROJECT`` only that project's, on an engine
other projects and CI jobs share.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reprocheck.backend.http import Call, Reply

LABEL = "io.reprocheck.managed"
RUN_LABEL = "io.reprocheck.run"
PROJECT_LABEL = "io.reprocheck.project"
DIGEST_LABEL = "io.reprocheck.inputs-digest"
NOBODY = "65534:65534"

Progress = Callable[[str], None]


def project_id(root: Path) -> str:
    """A stable name for a project on a shared engine: its directory's name and a hash of its real path."""
    real = os.path.realpath(root)
    name = re.sub(r"[^a-z0-9._-]+", "-", os.path.basename(real).lower()).strip("-._") or "project"
    return f"{name[:40]}-{hashlib.sha256(os.fsencode(real)).hexdigest()[:10]}"


@dataclass(frozen=True)
class BindMount:
    source: str  # absolute host path
    target: str  # absolute path in the container
    read_only: bool = True


@dataclass(frozen=True)
class Sandbox:
    """How a container runs: by default no network, read-only root with a writable /tmp, every capability
    dropped, no privilege escalation, memory/CPU/process limits, and a non-root user."""

    network: bool = False
    read_only: bool = True
    tmpfs: Mapping[str, str] = field(default_factory=lambda: {"/tmp": "rw,nosuid,nodev,size=256m,mode=1777"})
    memory: int = 1024**3
    cpus: float = 1.0
    pids: int = 256
    user: str | None = None  # None: the image's user if it is not root, else nobody
    workdir: str | None = None
    mounts: tuple[BindMount, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    max_output: int = 16 * 1024**2  # bytes kept of stdout and of stderr; past it the container is stopped
    max_file: int | None = None  # RLIMIT_FSIZE: no file the process writes can grow past it (output files)
    shm_size: int | None = None  # bytes of /dev/shm (None: the engine's default, 64 MB)
    gpus: str | None = None  # "all" or a count: a device request for GPUs (docker run --gpus)


def container_config(
    image: str, argv: tuple[str, ...], sandbox: Sandbox, user: str, cpus: float, labels: Mapping[str, str]
) -> dict[str, object]:
    """The engine API's container-create body of a sandboxed run: the one definition of the sandbox, which
    every backend sends as it is."""
    host_config: dict[str, object] = {
        "NetworkMode": "bridge" if sandbox.network else "none",
        "ReadonlyRootfs": sandbox.read_only,
        "Tmpfs": dict(sandbox.tmpfs),
        "CapDrop": ["ALL"],
        "SecurityOpt": ["no-new-privileges"],
        "Privileged": False,
        "IpcMode": "private",
        "Memory": sandbox.memory,
        "MemorySwap": sandbox.memory,
        "NanoCpus": int(cpus * 1e9),
        "PidsLimit": sandbox.pids,
        **({"ShmSize": sandbox.shm_size} if sandbox.shm_size else {}),
        "Mounts": [
            {"Target": m.target, "Source": m.source, "Type": "bind", "ReadOnly": m.read_only} for m in sandbox.mounts
        ],
        # the output is streamed through an attach (bounded), never kept in an engine log file
        "LogConfig": {"Type": "none", "Config": {}},
    }
    if sandbox.gpus:
        count = -1 if sandbox.gpus == "all" else int(sandbox.gpus)
        host_config["DeviceRequests"] = [
            {"Driver": "", "Count": count, "DeviceIDs": None, "Capabilities": [["gpu"]], "Options": {}}
        ]
    if sandbox.max_file:
        host_config["Ulimits"] = [{"Name": "fsize", "Soft": sandbox.max_file, "Hard": sandbox.max_file}]
    return {
        "Image": image,
        # argv is the whole command: the image's ENTRYPOINT must not prefix it
        "Entrypoint": [argv[0]] if argv else None,
        "Cmd": list(argv[1:]) if argv else None,
        "User": user,
        "WorkingDir": sandbox.workdir,
        "Env": [f"{k}={v}" for k, v in sandbox.env.items()],
        "Labels": {**sandbox.labels, **labels},
        "Tty": False,
        "OpenStdin": False,
        "AttachStdout": True,
        "AttachStderr": True,
        "HostConfig": host_config,
    }


@dataclass(frozen=True)
class BuildRequest:
    context: Path
    dockerfile: Path
    tag: str
    build_args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    no_cache: bool = False
    buildkit: bool = False  # build with the docker CLI and BuildKit instead of the SDK's classic builder
    network: str | None = None  # "host" for builds that must reach a server on the host
    project_root: Path | None = None  # whose project the image belongs to (its label); the context otherwise


@dataclass(frozen=True)
class RunRequest:
    """A command to run once in a sandboxed container: ``argv`` is the whole command (the image's ENTRYPOINT
    does not prefix it); ``read_files`` are read back from the container after it ends."""

    image: str
    argv: tuple[str, ...]
    sandbox: Sandbox
    timeout: float
    read_files: tuple[str, ...] = ()


def readiness(ready_http: str | None, ready_log: str | None, port: int) -> str:
    """What a server's readiness check waits for, in words."""
    if ready_http:
        return f"HTTP GET {ready_http} answering 2xx"
    if ready_log:
        return f"a log line matching `{ready_log}`"
    return f"port {port} listening"


@dataclass(frozen=True)
class ServeRequest:
    """A server to start once in a sandboxed container (``command``, or the image's own ENTRYPOINT/CMD when
    empty), how to know it is ready, and the requests to send it in turn, each within ``timeout``."""

    image: str
    port: int
    calls: tuple[Call, ...]
    sandbox: Sandbox
    command: tuple[str, ...] = ()
    timeout: float = 120.0
    ready_http: str | None = None
    ready_log: str | None = None
    ready_timeout: float = 60.0

    @property
    def readiness(self) -> str:
        return readiness(self.ready_http, self.ready_log, self.port)


@dataclass(frozen=True)
class ServeResult:
    """How the server fared (ready or not, exited, its output) and one reply per call, in order (none when it
    never became ready; a call the server did not answer has the reason in its reply)."""

    ready: bool
    exited: bool
    exit_code: int | None
    oom_killed: bool
    stdout: bytes
    stderr: bytes
    replies: tuple[Reply, ...] = ()
    seconds: float = 0.0
    exceeded: str | None = None  # "stdout" or "stderr" of the server went past Sandbox.max_output
    misbehaved: str | None = None  # the readiness check met a redirect or a broken answer, quoting it
    loopback_only: bool = False  # the port listens inside the container on loopback only: never reachable


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    image_id: str | None
    tag: str
    builder: str  # "classic" | "buildkit"
    seconds: float
    failed_step: str | None = None
    error: str | None = None
    log_tail: tuple[str, ...] = ()
    created_images: tuple[str, ...] = ()  # intermediate images this build made (removed when it fails)


@dataclass(frozen=True)
class RunResult:
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    oom_killed: bool
    seconds: float
    files: Mapping[str, bytes] = field(default_factory=dict)  # requested files read back from the container
    exceeded: str | None = None  # "stdout" or "stderr" went past Sandbox.max_output: the container was stopped


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    user: str
    workdir: str
    env: tuple[str, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    labels: Mapping[str, str]
    created: str
    architecture: str
    os: str
    layers: tuple[str, ...]  # diff ids, base first


@dataclass(frozen=True)
class FileEntry:
    """One file of an image's flattened file system (for rebuild comparison)."""

    path: str
    kind: str  # "file" | "dir" | "symlink" | "hardlink" | "other"
    mode: int
    uid: int
    gid: int
    size: int
    mtime: int
    digest: str | None = None  # sha256 of the content, for files
    link: str | None = None


@dataclass(frozen=True)
class SavedLayers:
    """From ``docker save``: the image's history (oldest first: created_by, empty_layer) and, per layer (base
    first), which of the paths asked about it writes or deletes."""

    history: tuple[tuple[str, bool], ...]
    layer_paths: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class CleanupReport:
    containers: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    live_runs: tuple[str, ...] = ()  # runs still going: their objects were left alone
    warnings: tuple[str, ...] = ()  # journals skipped (not what a run writes), one line each


class ContainerBackend(Protocol):
    """What reprocheck needs from a container engine (container-structure-test's Driver, pre-commit's Language)."""

    def ping(self) -> str:
        """The engine's version; raises EngineUnavailable with the fix when there is no engine."""
        ...

    def close(self) -> None:
        """The run is over: wait for what is still being removed; nothing of the run is left behind."""
        ...

    def build(self, request: BuildRequest, progress: Progress) -> BuildResult: ...

    def run(self, request: RunRequest, info: ImageInfo | None = None) -> RunResult:
        """Run the request's command; ``info``, when the caller has just inspected the image, saves a look-up."""
        ...

    def serve(self, request: ServeRequest, progress: Progress) -> ServeResult:
        """Serve mode: start the server sandboxed, wait for readiness, send each call, remove everything."""
        ...

    def inspect(self, image: str) -> ImageInfo | None: ...

    def find_images(self, labels: Mapping[str, str]) -> list[ImageInfo]: ...

    def export_files(self, image: str) -> Iterator[FileEntry]: ...

    def read_image_files(self, image: str, paths: tuple[str, ...], limit: int) -> dict[str, bytes]:
        """Small files of ``image`` (``/etc/passwd``), read without running it; absent or too large: left out."""
        ...

    def save_layers(self, image: str, wanted: frozenset[str]) -> SavedLayers:
        """Stream ``docker save`` and say which layer touches which of ``wanted``."""
        ...

    def remove_image(self, ref: str) -> None: ...

    def tag(self, image_id: str, ref: str) -> None:
        """Point ``ref`` (name:tag) at ``image_id``."""
        ...

    def use_project(self, root: Path) -> None:
        """Label what this backend creates from now on with the project at ``root`` (unless one was given)."""
        ...

    def prune_cache(self, keep: int, spare: str | None = None) -> tuple[str, ...]:
        """Keep the ``keep`` newest smoke-cache images of this project (and ``spare``); remove the others."""
        ...

    def cleanup(self, project: str | None = None, everything: bool = False, dry_run: bool = False) -> CleanupReport:
        """Remove this run's objects; with ``project``, that project's (and what its killed runs left);
        with ``everything``, every reprocheck object on the engine. Objects of runs still going are kept."""
        ...
