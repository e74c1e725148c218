"""The Docker engine on a unix socket, through its API directly (``engine_api``): what a run on an image at
hand needs (smoke, verify's probe, the image look-ups) without importing the docker SDK; builds, exports,
serve mode, cleanup and registry look-ups go to ``DockerBackend`` (the SDK), made on first use and sharing
this run's id, labels and journal. ``runtime.engine.connect`` chooses this one for unix sockets.
"""

from __future__ import annotations

import contextlib
import os
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from reprocheck.backend.base import (
    LABEL,
    PROJECT_LABEL,
    RUN_LABEL,
    BuildRequest,
    BuildResult,
    CleanupReport,
    FileEntry,
    ImageInfo,
    Progress,
    RunResult,
    Sandbox,
    SavedLayers,
    container_config,
    project_id,
)
from reprocheck.backend.engine_api import (
    ApiError,
    Chunks,
    EngineApi,
    NotFoundError,
    Output,
    check_mounts,
    engine_hint,
    image_info,
    unix_socket,
)
from reprocheck.backend.journal import Journal
from reprocheck.errors import EngineUnavailable
from reprocheck.model.users import MAX_FILE, decide_in_image

if TYPE_CHECKING:
    from reprocheck.backend.docker_sdk import DockerBackend
    from reprocheck.backend.http import ServeRequest, ServeResult


def _path(name: str) -> str:
    return quote(name, safe="/:@")


class DockerApiBackend:
    """One run on a local engine: everything it creates carries the run's and the project's labels and is
    written to the run's journal as it is created (as ``DockerBackend`` does)."""

    def __init__(
        self,
        socket_path: str,
        timeout: float = 120.0,
        project: Path | None = None,
        run_id: str | None = None,
        background_removal: bool = False,
    ) -> None:
        self._timeout = timeout
        self._api = EngineApi(socket_path, timeout)
        self._version: dict[str, Any] = {}
        self._ncpu: float | None = None
        self._background_removal = background_removal
        self._removals: list[threading.Thread] = []
        self._image_users: dict[tuple[str, str], str] = {}
        self._sdk_backend: DockerBackend | None = None
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.project_id = project_id(project) if project is not None else None
        self.journal = Journal(self.run_id, self.project_id)

    @property
    def host(self) -> str:
        return f"unix://{self._api.path}"

    @property
    def labels(self) -> dict[str, str]:
        out = {LABEL: "1", RUN_LABEL: self.run_id}
        if self.project_id:
            out[PROJECT_LABEL] = self.project_id
        return out

    def use_project(self, root: Path) -> None:
        if self.project_id is None:
            self.project_id = project_id(root)
            self.journal.set_project(self.project_id)
        if self._sdk_backend is not None:
            self._sdk_backend.use_project(root)

    def _sdk(self) -> DockerBackend:
        """The SDK backend for what this one does not do itself: same run, labels and journal."""
        if self._sdk_backend is None:
            from reprocheck.backend.docker_sdk import DockerBackend

            sdk = DockerBackend(self._timeout, run_id=self.run_id, background_removal=self._background_removal)
            sdk.project_id = self.project_id
            sdk.journal = self.journal
            self._sdk_backend = sdk
        return self._sdk_backend

    # ---- the engine

    def ping(self) -> str:
        if not self._version:
            try:
                # unversioned: it says which API version to speak, and the engine's version to show
                version = self._api.request("GET", "/version")
                self._api.version = str(version["ApiVersion"])
            except (OSError, ApiError, ValueError, KeyError, TypeError) as exc:
                reason = getattr(exc, "strerror", None) or getattr(exc, "explanation", None) or type(exc).__name__
                raise EngineUnavailable(f"{engine_hint(self.host)} ({reason})") from None
            self._version = version
        return str(self._version.get("Version", "?"))

    def _call(self, method: str, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        self.ping()
        return self._api.request(method, path, params, **kw)

    def close(self) -> None:
        """The run is over: wait for the containers still being removed, then drop the journal when the run
        left nothing behind (see ``DockerBackend.close``)."""
        while self._removals:
            self._removals.pop(0).join()
        if self._sdk_backend is not None:
            self._sdk_backend.close()
        self.journal.close()

    # ---- images

    def inspect(self, image: str) -> ImageInfo | None:
        try:
            return image_info(self._call("GET", f"/images/{_path(image)}/json"))
        except NotFoundError:
            return None

    def find_images(self, labels: Mapping[str, str]) -> list[ImageInfo]:
        import json

        filters = json.dumps({"label": [f"{k}={v}" for k, v in labels.items()]})
        out = []
        for item in self._call("GET", "/images/json", {"filters": filters}) or ():
            info = self.inspect(str(item["Id"]))
            if info is not None:
                out.append(info)
        return out

    def tag(self, image_id: str, ref: str) -> None:
        repo, _, tag = ref.rpartition(":")
        self._call("POST", f"/images/{_path(image_id)}/tag", {"repo": repo, "tag": tag})

    def ncpu(self) -> float:
        if self._ncpu is None:
            try:
                self._ncpu = float(self._call("GET", "/info").get("NCPU") or 1)
            except (OSError, ApiError, ValueError, AttributeError):
                self._ncpu = 1.0
        return self._ncpu

    def _cpus(self, wanted: float) -> float:
        return wanted if wanted <= 1 else min(wanted, self.ncpu())

    # ---- run

    def run(
        self,
        image: str,
        argv: tuple[str, ...],
        sandbox: Sandbox,
        timeout: float,
        read_files: tuple[str, ...] = (),
        info: ImageInfo | None = None,
    ) -> RunResult:
        info = info or self.inspect(image)
        if info is None:
            raise EngineUnavailable(
                f"image `{image}` is not on the engine (reprocheck never pulls; build or load it first)"
            )
        check_mounts(sandbox.mounts)
        user = sandbox.user or self.image_user(image, info)
        config = container_config(image, argv, sandbox, user, self._cpus(sandbox.cpus), self.labels)
        container = str(self._call("POST", "/containers/create", body=config)["Id"])
        self.journal.created("container", container)
        started = time.monotonic()
        reader: Output | None = None
        base = f"/containers/{container}"
        try:
            reader = Output(self._api.attach(container), sandbox.max_output, lambda: self._kill(container))
            try:
                self._call("POST", f"{base}/start")
            except ApiError as exc:  # e.g. the executable is not in the image
                files = self._read_files(container, read_files, sandbox.max_output)
                return RunResult(127, b"", exc.explanation.encode(), False, False, time.monotonic() - started, files)
            timed_out = False
            exit_code: int | None = None
            try:
                status = self._call("POST", f"{base}/wait", timeout=timeout)
                exit_code = int(status.get("StatusCode", -1))
            except OSError:  # the clock ran out (or the engine went away): stop it
                timed_out = True
                self._kill(container)
            seconds = time.monotonic() - started
            reader.finish()
            state = self._call("GET", f"{base}/json").get("State") or {}
            oom = bool(state.get("OOMKilled", False))
            files = self._read_files(container, read_files, sandbox.max_output)
            exceeded = reader.exceeded
            if exceeded:
                timed_out = False  # stopped by us for its output, not by the clock
            return RunResult(
                exit_code, bytes(reader.stdout), bytes(reader.stderr), timed_out, oom, seconds, files, exceeded
            )
        finally:
            if reader is not None:
                reader.close()
            self._remove_container(container)

    def _kill(self, container: str) -> None:
        with contextlib.suppress(OSError, ApiError):
            self._call("POST", f"/containers/{container}/kill")

    def _read_files(self, container: str, paths: tuple[str, ...], limit: int) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for path in paths:
            try:
                chunks = self._api.stream("GET", f"/containers/{container}/archive", {"path": path})
                with tarfile.open(fileobj=Chunks(chunks), mode="r|") as tar:
                    for member in tar:
                        if member.isfile():
                            handle = tar.extractfile(member) if member.size <= limit else None
                            if handle is not None:
                                out[path] = handle.read(limit + 1)
                            break
            except (OSError, ApiError, tarfile.TarError):
                continue
        return out

    def image_user(self, image: str, info: ImageInfo) -> str:
        """Who a run of ``image`` is when the sandbox names nobody: its USER resolved as the runtime resolves
        it, or nobody when that is uid 0 by any spelling or cannot be resolved."""
        key = (info.id, info.user)
        if key not in self._image_users:
            from reprocheck.backend.image_files import remembered

            read = remembered(partial(self.read_image_files, image, limit=MAX_FILE), info.id)
            self._image_users[key] = decide_in_image(None, False, info.user, read).user
        return self._image_users[key]

    def read_image_files(self, image: str, paths: tuple[str, ...], limit: int) -> dict[str, bytes]:
        """Files of ``image`` (links inside it followed) from a container created and never started; a file
        absent or over ``limit`` bytes is left out."""
        from reprocheck.backend.image_files import read_file

        body = {
            "Image": image,
            "Cmd": ["true"],
            "Labels": self.labels,
            "NetworkDisabled": True,
            "HostConfig": {"NetworkMode": "none"},
        }
        container = str(self._call("POST", "/containers/create", body=body)["Id"])
        self.journal.created("container", container)
        try:
            out = {}
            for path in paths:
                data = read_file(
                    lambda p: self._api.stream("GET", f"/containers/{container}/archive", {"path": p}),
                    path,
                    limit,
                    (OSError, ApiError),
                )
                if data is not None:
                    out[path] = data
            return out
        finally:
            self._remove_container(container)

    def _remove_container(self, container: str) -> None:
        """Remove a container of this run (running or not); in a thread when ``background_removal``; the
        journal records it once the engine has answered."""

        def remove() -> None:
            try:
                self._call("DELETE", f"/containers/{container}", {"force": "true"})
            except ApiError:
                pass
            except OSError:  # the engine went away: left to the journal
                return
            self.journal.removed("container", container)

        if not self._background_removal:
            remove()
            return
        thread = threading.Thread(target=remove, name="reprocheck-remove")
        try:
            thread.start()
        except RuntimeError:
            remove()
            return
        self._removals.append(thread)

    # ---- the rest, through the SDK

    def build(self, request: BuildRequest, progress: Progress) -> BuildResult:
        return self._sdk().build(request, progress)

    def serve(
        self,
        image: str,
        request: ServeRequest,
        command: tuple[str, ...],
        sandbox: Sandbox,
        timeout: float,
        progress: Progress,
    ) -> ServeResult:
        return self._sdk().serve(image, request, command, sandbox, timeout, progress)

    def registry_digest(self, ref: str) -> str | None:
        return self._sdk().registry_digest(ref)

    def export_files(self, image: str) -> Iterator[FileEntry]:
        return self._sdk().export_files(image)

    def save_layers(self, image: str, wanted: frozenset[str]) -> SavedLayers:
        return self._sdk().save_layers(image, wanted)

    def remove_image(self, ref: str) -> None:
        self._sdk().remove_image(ref)

    def prune_cache(self, keep: int, spare: str | None = None) -> tuple[str, ...]:
        return self._sdk().prune_cache(keep, spare)

    def cleanup(self, project: str | None = None, everything: bool = False, dry_run: bool = False) -> CleanupReport:
        return self._sdk().cleanup(project, everything, dry_run)


def local_socket() -> str | None:
    """The engine's unix socket when DOCKER_HOST names one (or is unset), else None."""
    return unix_socket(os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock")
