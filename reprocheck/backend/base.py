"""The container engine behind one interface: build, run sandboxed, inspect, export, remove, clean up.

Everything reprocheck creates carries ``LABEL`` so that ``reprocheck clean`` (and the tests) can find what
an interrupted run left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

LABEL = "io.reprocheck.managed"
RUN_LABEL = "io.reprocheck.run"
DIGEST_LABEL = "io.reprocheck.inputs-digest"
NOBODY = "65534:65534"

Progress = Callable[[str], None]


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


class ContainerBackend(Protocol):
    """What reprocheck needs from a container engine (container-structure-test's Driver, pre-commit's Language)."""

    def ping(self) -> str:
        """The engine's version; raises EngineUnavailable with the fix when there is no engine."""
        ...

    def build(self, request: BuildRequest, progress: Progress) -> BuildResult: ...

    def run(
        self, image: str, argv: tuple[str, ...], sandbox: Sandbox, timeout: float, read_files: tuple[str, ...] = ()
    ) -> RunResult: ...

    def inspect(self, image: str) -> ImageInfo | None: ...

    def find_images(self, labels: Mapping[str, str]) -> list[ImageInfo]: ...

    def registry_digest(self, ref: str) -> str | None:
        """The digest ``ref`` (name:tag) has on its registry now; None when unknown."""
        ...

    def export_files(self, image: str) -> Iterator[FileEntry]: ...

    def save_layers(self, image: str, wanted: frozenset[str]) -> SavedLayers:
        """Stream ``docker save`` and say which layer touches which of ``wanted``."""
        ...

    def remove_image(self, ref: str) -> None: ...

    def cleanup(self, label: str = LABEL, dry_run: bool = False) -> CleanupReport: ...
