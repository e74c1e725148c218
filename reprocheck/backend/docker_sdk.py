"""The Docker engine through the Docker SDK (classic builder), with BuildKit builds through the CLI.

Imported only inside command bodies: the lint path never pays for the SDK.
Known pitfalls handled here: ``containers.run`` would pull a missing image and has no timeout, so containers
are created, started, waited for with a timeout and removed with ``force=True`` in ``finally``; logs are
read before removal (never with auto-remove).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tarfile
import time
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.types import Mount

from reprocheck.backend.base import (
    LABEL,
    NOBODY,
    BuildRequest,
    BuildResult,
    CleanupReport,
    FileEntry,
    ImageInfo,
    Progress,
    RunResult,
    Sandbox,
    SavedLayers,
)
from reprocheck.errors import EngineUnavailable
from reprocheck.progress import OutputLine

LOG_TAIL = 40


def _engine_hint(host: str) -> str:
    return (
        f"no Docker engine answers at {host}. Start one (dockerd, Docker Desktop, colima...) or point DOCKER_HOST "
        "at one (unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host); `reprocheck lint` needs none"
    )


class DockerBackend:
    def __init__(self, timeout: float = 120.0) -> None:
        self._timeout = timeout
        self._client: docker.DockerClient | None = None

    @property
    def host(self) -> str:
        return os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            try:
                self._client = docker.from_env(timeout=int(self._timeout))
            except DockerException as exc:
                raise EngineUnavailable(f"{_engine_hint(self.host)} ({_first(exc)})") from None
        return self._client

    def ping(self) -> str:
        try:
            version = self.client.version()
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise EngineUnavailable(f"{_engine_hint(self.host)} ({_first(exc)})") from None
        return str(version.get("Version", "?"))

    # ---- build

    def build(self, request: BuildRequest, progress: Progress) -> BuildResult:
        if request.buildkit:
            from reprocheck.backend.buildkit_cli import build_with_cli

            return build_with_cli(request, progress)
        before = self._image_ids()
        started = time.monotonic()
        steps: list[str] = []  # the short ids of the images this build's steps made (` ---> 1a2b3c4d5e6f`)
        log: deque[str] = deque(maxlen=LOG_TAIL)
        step: str | None = None
        image_id: str | None = None
        error: str | None = None
        dockerfile = _relative_dockerfile(request.context, request.dockerfile)
        try:
            stream = self.client.api.build(
                path=str(request.context),
                dockerfile=dockerfile,
                tag=request.tag,
                buildargs=dict(request.build_args),
                target=request.target,
                labels={LABEL: "1", **request.labels},
                nocache=request.no_cache,
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                network_mode=request.network,
            )
            for chunk in stream:
                if "stream" in chunk:
                    for line in str(chunk["stream"]).splitlines():
                        if not line.strip():
                            continue
                        log.append(line)
                        if (made := _STEP_IMAGE.match(line)) is not None:
                            steps.append(made.group(1))
                        if line.startswith("Step "):
                            step = line
                            log.clear()
                            log.append(line)
                            progress(line)
                        else:
                            progress(OutputLine(line))
                elif "error" in chunk:
                    error = str(chunk.get("error", "")).strip()
                    log.append(error)
                elif "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
                    image_id = str(chunk["aux"]["ID"])
                elif "status" in chunk:
                    status = " ".join(str(chunk.get(k) or "") for k in ("status", "id", "progress")).strip()
                    progress(OutputLine(status))
        except (APIError, requests.exceptions.RequestException) as exc:
            error = _first(exc)
        except BaseException:
            # interrupted: hang up, so that the engine cancels the build, then leave nothing half-built behind
            with contextlib.suppress(Exception):
                self.client.api.close()
            self._remove_new_images(before, steps, wait=15.0)
            raise
        seconds = time.monotonic() - started
        if error or image_id is None:
            created = self._remove_new_images(before, steps, wait=5.0)
            return BuildResult(
                False,
                None,
                request.tag,
                "classic",
                seconds,
                step,
                error or "the build produced no image",
                tuple(log),
                created,
            )
        return BuildResult(True, image_id, request.tag, "classic", seconds, log_tail=tuple(log))

    def _image_ids(self) -> set[str]:
        return {str(i["Id"]) for i in self.client.api.images(all=True)}

    def _remove_new_images(self, before: set[str], steps: list[str], wait: float = 0.0) -> tuple[str, ...]:
        """Remove the images (intermediate layers included) that a failed or interrupted build made: new since
        the build began and named in its log, so that a build running beside it keeps its own. An image whose
        step container the engine is still tearing down cannot be removed yet: retried for ``wait`` seconds."""
        removed: list[str] = []
        deadline = time.monotonic() + wait
        while True:
            try:
                new = {_short(i): i for i in self._image_ids() - before}
            except (APIError, requests.exceptions.RequestException):
                return tuple(removed)
            left = False
            # the last step first: an image with children cannot be removed, even by force
            for image_id in [new[short] for short in reversed(steps) if short in new]:
                try:
                    self.client.api.remove_image(image_id, force=True)
                    removed.append(image_id)
                except NotFound:
                    continue
                except APIError:
                    left = True
            if not left or time.monotonic() >= deadline:
                return tuple(removed)
            time.sleep(0.25)

    # ---- run

    def run(
        self, image: str, argv: tuple[str, ...], sandbox: Sandbox, timeout: float, read_files: tuple[str, ...] = ()
    ) -> RunResult:
        info = self.inspect(image)
        if info is None:
            raise EngineUnavailable(
                f"image `{image}` is not on the engine (reprocheck never pulls; build or load it first)"
            )
        user = sandbox.user or (info.user if info.user and info.user.split(":")[0] not in ("root", "0") else NOBODY)
        container = self.client.containers.create(
            image,
            # argv is the whole command: the image's ENTRYPOINT must not prefix it
            entrypoint=[argv[0]] if argv else None,
            command=list(argv[1:]) if argv else None,
            user=user,
            working_dir=sandbox.workdir,
            environment=dict(sandbox.env),
            network_mode="bridge" if sandbox.network else "none",
            read_only=sandbox.read_only,
            tmpfs=dict(sandbox.tmpfs),
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=sandbox.memory,
            memswap_limit=sandbox.memory,
            nano_cpus=int(sandbox.cpus * 1e9),
            pids_limit=sandbox.pids,
            mounts=[Mount(m.target, m.source, type="bind", read_only=m.read_only) for m in sandbox.mounts],
            labels={LABEL: "1", **sandbox.labels},
        )
        started = time.monotonic()
        try:
            try:
                container.start()
            except APIError as exc:  # e.g. the executable is not in the image
                files = {p: data for p in read_files if (data := _read_file(container, p)) is not None}
                message = str(getattr(exc, "explanation", None) or exc)
                return RunResult(127, b"", message.encode(), False, False, time.monotonic() - started, files)
            timed_out = False
            exit_code: int | None = None
            try:
                status = container.wait(timeout=timeout)
                exit_code = int(status.get("StatusCode", -1))
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                timed_out = True
                with contextlib.suppress(APIError):
                    container.kill()
            seconds = time.monotonic() - started
            container.reload()
            oom = bool(container.attrs.get("State", {}).get("OOMKilled", False))
            stdout = container.logs(stdout=True, stderr=False)
            stderr = container.logs(stdout=False, stderr=True)
            files = {p: data for p in read_files if (data := _read_file(container, p)) is not None}
            return RunResult(exit_code, stdout, stderr, timed_out, oom, seconds, files)
        finally:
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True)

    # ---- images

    def inspect(self, image: str) -> ImageInfo | None:
        try:
            attrs: dict[str, Any] = self.client.api.inspect_image(image)
        except (ImageNotFound, NotFound):
            return None
        config = attrs.get("Config") or {}
        return ImageInfo(
            id=str(attrs.get("Id", "")),
            tags=tuple(attrs.get("RepoTags") or ()),
            repo_digests=tuple(attrs.get("RepoDigests") or ()),
            user=str(config.get("User") or ""),
            workdir=str(config.get("WorkingDir") or ""),
            env=tuple(config.get("Env") or ()),
            entrypoint=tuple(config.get("Entrypoint") or ()),
            cmd=tuple(config.get("Cmd") or ()),
            labels=dict(config.get("Labels") or {}),
            created=str(attrs.get("Created", "")),
            architecture=str(attrs.get("Architecture", "")),
            os=str(attrs.get("Os", "")),
            layers=tuple((attrs.get("RootFS") or {}).get("Layers") or ()),
        )

    def find_images(self, labels: Mapping[str, str]) -> list[ImageInfo]:
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
        out = []
        for item in self.client.api.images(filters=filters):
            info = self.inspect(str(item["Id"]))
            if info is not None:
                out.append(info)
        return out

    def registry_digest(self, ref: str) -> str | None:
        """The digest a tag has on its registry now (None when the registry does not answer or lacks it)."""
        try:
            data = self.client.images.get_registry_data(ref)
        except (APIError, DockerException, requests.exceptions.RequestException):
            return None
        return str(data.id) if data.id else None

    def tag(self, image_id: str, ref: str) -> None:
        repo, _, tag = ref.rpartition(":")
        self.client.api.tag(image_id, repo, tag)

    def remove_image(self, ref: str) -> None:
        with contextlib.suppress(NotFound, ImageNotFound):
            self.client.api.remove_image(ref, force=True)

    def export_files(self, image: str) -> Iterator[FileEntry]:
        """The image's flattened file system, streamed from ``docker export`` (never held in memory)."""
        container = self.client.containers.create(image, command=["true"], labels={LABEL: "1"}, network_mode="none")
        try:
            stream = _Chunks(container.export(chunk_size=1024 * 1024))
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    yield _entry(tar, member)
        finally:
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True)

    def save_layers(self, image: str, wanted: frozenset[str]) -> SavedLayers:
        """Which layer writes (or deletes) which of the ``wanted`` paths, streamed from ``docker save``."""
        found: dict[str, set[str]] = {}
        manifest: list[dict[str, Any]] = []
        configs: dict[str, dict[str, Any]] = {}
        stream = _Chunks(self.client.api.get_image(image, chunk_size=1024 * 1024))
        with tarfile.open(fileobj=stream, mode="r|") as outer:
            for member in outer:
                if member.name.endswith("layer.tar") and member.isfile():
                    handle = outer.extractfile(member)
                    if handle is None:
                        continue
                    hits: set[str] = set()
                    with tarfile.open(fileobj=handle, mode="r|") as inner:
                        for m in inner:
                            path = "/" + _relative(m.name).rstrip("/")
                            base = path.rsplit("/", 1)[-1]
                            if base.startswith(".wh."):
                                path = path[: len(path) - len(base)] + base[4:]
                            if path in wanted:
                                hits.add(path)
                    found[member.name] = hits
                elif member.name == "manifest.json" or member.name.endswith(".json"):
                    handle = outer.extractfile(member)
                    if handle is None:
                        continue
                    data = json.loads(handle.read())
                    if member.name == "manifest.json":
                        manifest = data
                    else:
                        configs[member.name] = data
        entry = manifest[0] if manifest else {}
        config = configs.get(str(entry.get("Config", "")), {})
        history = tuple(
            (str(h.get("created_by", "")), bool(h.get("empty_layer", False))) for h in config.get("history", [])
        )
        layers = tuple(frozenset(found.get(str(name), set())) for name in entry.get("Layers", []))
        return SavedLayers(history, layers)

    def cleanup(self, label: str = LABEL, dry_run: bool = False) -> CleanupReport:
        """Remove every container and image that carries ``label`` (what interrupted runs left)."""
        containers = self.client.api.containers(all=True, filters={"label": label})
        images = self.client.api.images(filters={"label": label})
        networks = self.client.api.networks(filters={"label": label})
        if not dry_run:
            for c in containers:
                try:
                    self.client.api.remove_container(c["Id"], force=True)
                except (NotFound, APIError):
                    continue
            for i in images:
                try:
                    self.client.api.remove_image(i["Id"], force=True)
                except (NotFound, APIError):
                    continue
            for n in networks:  # serve mode's per-run networks
                try:
                    self.client.api.remove_network(n["Id"])
                except (NotFound, APIError):
                    continue
        return CleanupReport(
            tuple(str(c["Id"])[:12] for c in containers),
            tuple(str(i["Id"]) for i in images),
            tuple(str(n["Name"]) for n in networks),
        )


class _Chunks(io.RawIOBase):
    """A file object over an iterator of byte chunks, for tarfile's streaming mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _entry(tar: tarfile.TarFile, member: tarfile.TarInfo) -> FileEntry:
    path = "/" + _relative(member.name)
    digest = None
    kind = "other"
    if member.isfile():
        kind = "file"
        handle = tar.extractfile(member)
        h = hashlib.sha256()
        if handle is not None:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                h.update(block)
        digest = h.hexdigest()
    elif member.isdir():
        kind = "dir"
    elif member.issym():
        kind = "symlink"
    elif member.islnk():
        kind = "hardlink"
    return FileEntry(
        path, kind, member.mode, member.uid, member.gid, member.size, int(member.mtime), digest, member.linkname or None
    )


_STEP_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12})$")


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _relative(name: str) -> str:
    """A tar member's name without its leading ``./`` or ``/`` (``./.dockerenv`` -> ``.dockerenv``)."""
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/") if name != "." else ""


def _read_file(container: Any, path: str) -> bytes | None:
    try:
        chunks, _ = container.get_archive(path)
    except (NotFound, APIError):
        return None
    data = b"".join(chunks)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            if member.isfile():
                handle = tar.extractfile(member)
                return handle.read() if handle else None
    return None


def _relative_dockerfile(context: Path, dockerfile: Path) -> str:
    try:
        return str(dockerfile.resolve().relative_to(context.resolve()))
    except ValueError:
        return str(dockerfile.resolve())


def _first(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
