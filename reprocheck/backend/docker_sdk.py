"""The Docker engine through the Docker SDK (classic builder), with BuildKit builds through the CLI.

Imported only inside command bodies: the lint path never pays for the SDK.
Known pitfalls handled here: ``containers.run`` would pull a missing image and has no timeout, so containers
are created, started, waited for with a timeout and removed with ``force=True`` in ``finally``; logs are
read before removal (never with auto-remove). With ``background_removal`` that removal runs in a thread while
the caller judges the output, and ``close()`` waits for it: the engine's DELETE (50-100 ms) is off the path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tarfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import docker
import requests
from docker.constants import MINIMUM_DOCKER_API_VERSION
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from reprocheck.backend.base import (
    DIGEST_LABEL,
    LABEL,
    PROJECT_LABEL,
    RUN_LABEL,
    BuildRequest,
    BuildResult,
    CleanupReport,
    FileEntry,
    ImageInfo,
    Progress,
    RunRequest,
    RunResult,
    SavedLayers,
    ServeRequest,
    ServeResult,
    container_config,
    project_id,
)
from reprocheck.backend.common import Chunks, check_mounts, engine_hint, image_info
from reprocheck.backend.journal import Journal, engine_host, read_runs
from reprocheck.backend.output import BoundedOutput
from reprocheck.errors import EngineUnavailable
from reprocheck.model.users import MAX_FILE, decide_in_image
from reprocheck.progress import OutputLine

LOG_TAIL = 2000  # whole step output, bounded: the explanatory line may come early (evidence.pick_explanatory)


class DockerBackend:
    """One run on the engine: everything it creates carries the run's and the project's labels and is
    written to the run's journal as it is created (see ``journal``)."""

    def __init__(
        self,
        timeout: float = 120.0,
        project: Path | None = None,
        run_id: str | None = None,
        background_removal: bool = False,
    ) -> None:
        self._timeout = timeout
        self._background_removal = background_removal
        self._removals: list[threading.Thread] = []
        self._image_users: dict[tuple[str, str], str] = {}
        self._client: docker.DockerClient | None = None
        self._version: dict[str, Any] = {}
        self._ncpu: float | None = None
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.project_id = project_id(project) if project is not None else None
        self.journal = Journal(self.run_id, self.project_id)

    def use_project(self, root: Path) -> None:
        if self.project_id is None:
            self.project_id = project_id(root)
            self.journal.set_project(self.project_id)

    @property
    def labels(self) -> dict[str, str]:
        """The labels of every object this run creates."""
        out = {LABEL: "1", RUN_LABEL: self.run_id}
        if self.project_id:
            out[PROJECT_LABEL] = self.project_id
        return out

    def close(self) -> None:
        """The run is over: wait for the containers still being removed, then drop the journal when the run
        left nothing behind. A Ctrl-C while waiting leaves what is not yet removed to the journal (and
        ``reprocheck clean``), as a Ctrl-C during a removal always has."""
        while self._removals:
            self._removals.pop(0).join()
        self.journal.close()

    def _remove_container(self, container_id: str) -> None:
        """Remove a container of this run (force: running or not); in a thread when ``background_removal``.
        The journal records the removal only once the engine has answered."""

        def remove() -> None:
            try:
                self.client.api.remove_container(container_id, force=True)
            except (NotFound, APIError):
                pass
            except requests.exceptions.RequestException:  # the engine went away: left to the journal
                return
            self.journal.removed("container", container_id)

        if not self._background_removal:
            remove()
            return
        # not a daemon: a process that ends without close() still lets the removal finish (unless os._exit)
        thread = threading.Thread(target=remove, name="reprocheck-remove")
        try:
            thread.start()
        except RuntimeError:  # no thread can be made: remove it here
            remove()
            return
        self._removals.append(thread)

    @property
    def host(self) -> str:
        return os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            try:
                # one /version request tells both the API version to speak and the engine's version to show
                # (version="auto" would ask, and ping() ask again)
                client = docker.from_env(timeout=int(self._timeout), version=MINIMUM_DOCKER_API_VERSION)
                self._version = client.api.version(api_version=False)
                client.api._version = str(self._version["ApiVersion"])
            except (DockerException, requests.exceptions.RequestException, KeyError, TypeError) as exc:
                raise EngineUnavailable(f"{engine_hint(self.host)} ({_first(exc)})") from None
            self._client = client
        return self._client

    def ping(self) -> str:
        self.client  # noqa: B018 -- connects, and reads the engine's version once
        return str(self._version.get("Version", "?"))

    # ---- build

    def build(self, request: BuildRequest, progress: Progress) -> BuildResult:
        self.use_project(request.project_root or request.context)
        labels = {**request.labels, **self.labels}
        if request.buildkit:
            from reprocheck.backend.buildkit_cli import build_with_cli

            return build_with_cli(replace(request, labels=labels), progress)
        before = self._image_ids()
        started = time.monotonic()
        steps: list[str] = []  # the short ids of the images this build's steps made (` ---> 1a2b3c4d5e6f`)
        made: list[str] = []  # of those, the ones this build created (not the base, not a cache hit)
        log: deque[str] = deque(maxlen=LOG_TAIL)
        step: str | None = None
        image_id: str | None = None
        error: str | None = None
        # the classic builder appends one LABEL step per label: number the user's steps as `docker build` does
        extra = len(labels)
        reused = from_step = labelling = False
        # the context is packed here: the SDK's own packing matches .dockerignore with backtracking regexes
        from reprocheck.backend.context_tar import context_archive

        archive, dockerfile = context_archive(request.context, request.dockerfile)
        try:
            stream = self.client.api.build(
                fileobj=archive,
                custom_context=True,
                dockerfile=dockerfile,
                tag=request.tag,
                buildargs=dict(request.build_args),
                target=request.target,
                labels=labels,
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
                        if line.startswith("Step "):
                            shown = _user_step(line, extra)
                            reused, from_step = False, " : FROM " in line.upper()
                            if shown is None:
                                if not labelling:
                                    progress("labelling the image")
                                labelling = True
                                continue
                            step = shown
                            log.clear()
                            log.append(shown)
                            progress(shown)
                            continue
                        if not labelling:
                            log.append(line)
                            progress(OutputLine(line))
                        if line.strip() == "---> Using cache":
                            reused = True
                        elif (running := _RUNNING.match(line)) is not None:
                            self.journal.created("container", running.group(1))
                        elif (gone := _REMOVING.match(line)) is not None:
                            self.journal.removed("container", gone.group(1))
                        elif (step_image := _STEP_IMAGE.match(line)) is not None:
                            steps.append(step_image.group(1))
                            if not (reused or from_step):
                                made.append(step_image.group(1))
                                self.journal.created("image", step_image.group(1))
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
        finally:
            archive.close()
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
        strays = self._remove_other_stages(image_id, made)
        for short in made:  # the layers of the image built: it owns them now
            if short not in strays:
                self.journal.kept("image", short)
        return BuildResult(True, image_id, request.tag, "classic", seconds, log_tail=tuple(log))

    def _remove_other_stages(self, image_id: str, made: list[str]) -> set[str]:
        """Remove what this build made for stages other than the one it tagged (a multi-stage Dockerfile's
        builder stages): the classic builder labels only the final image, so their last images would stay on
        the engine untagged and unlabelled, out of reach of ``clean`` and of the run's own removal. Layers of
        the final image are kept (removing it removes them); cache hits are not this build's and stay."""
        try:
            ancestry = {_short(str(h.get("Id", ""))) for h in self.client.api.history(image_id)}
        except (APIError, requests.exceptions.RequestException):
            return set()
        strays = [short for short in made if short not in ancestry]
        removed: set[str] = set()
        for short in reversed(strays):  # a stage's last image first: an image with children cannot go
            try:
                self.client.api.remove_image(short, noprune=True)
            except NotFound:
                pass
            except (APIError, requests.exceptions.RequestException):
                continue  # another build took it as its cache meanwhile: it is that build's now
            removed.add(short)
            self.journal.removed("image", short)
        return removed

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
                    self.journal.removed("image", _short(image_id))
                except NotFound:
                    self.journal.removed("image", _short(image_id))
                    continue
                except APIError:
                    left = True
            if not left or time.monotonic() >= deadline:
                return tuple(removed)
            time.sleep(0.25)

    # ---- run

    def run(self, request: RunRequest, info: ImageInfo | None = None) -> RunResult:
        image, argv, sandbox, timeout, read_files = (
            request.image,
            request.argv,
            request.sandbox,
            request.timeout,
            request.read_files,
        )
        info = info or self.inspect(image)
        if info is None:
            raise EngineUnavailable(
                f"image `{image}` is not on the engine (reprocheck never pulls; build or load it first)"
            )
        check_mounts(sandbox.mounts)
        user = sandbox.user or self.image_user(image, info)
        api = self.client.api
        config = container_config(image, argv, sandbox, user, self.cpus(sandbox.cpus), self.labels)
        # the low-level call: the model's create would inspect the container it just made (one more round trip)
        created = api.create_container_from_config(config)
        container = self.client.containers.prepare_model({"Id": created["Id"]})
        self.journal.created("container", container.id)
        started = time.monotonic()
        reader: BoundedOutput | None = None
        try:
            reader = BoundedOutput(self.client.api, container, sandbox.max_output)
            try:
                container.start()
            except APIError as exc:  # e.g. the executable is not in the image
                files = self._read_files(container, read_files, sandbox.max_output)
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
            reader.finish()
            container.reload()
            oom = bool(container.attrs.get("State", {}).get("OOMKilled", False))
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
            self._remove_container(container.id)

    def cpus(self, wanted: float) -> float:
        """``wanted`` CPUs, lowered to the engine's count: asked only when above one (every engine has one)."""
        return wanted if wanted <= 1 else min(wanted, self.ncpu())

    def serve(self, request: ServeRequest, progress: Progress) -> ServeResult:
        """Serve mode (``backend/serve.py``): nothing is left on the engine."""
        from reprocheck.backend.serve import serve

        return serve(self, request, progress)

    def ncpu(self) -> float:
        """The engine's CPUs: a spec's `cpus` above it is lowered to it (the engine would refuse it)."""
        if self._ncpu is None:
            try:
                self._ncpu = float(self.client.info().get("NCPU") or 1)
            except (APIError, requests.exceptions.RequestException):
                self._ncpu = 1.0
        return self._ncpu

    def _read_files(self, container: Any, paths: tuple[str, ...], limit: int) -> dict[str, bytes]:
        return {p: data for p in paths if (data := _read_file(container, p, limit)) is not None}

    # ---- images

    def inspect(self, image: str) -> ImageInfo | None:
        try:
            attrs: dict[str, Any] = self.client.api.inspect_image(image)
        except (ImageNotFound, NotFound):
            return None
        return image_info(attrs)

    def find_images(self, labels: Mapping[str, str]) -> list[ImageInfo]:
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
        out = []
        for item in self.client.api.images(filters=filters):
            info = self.inspect(str(item["Id"]))
            if info is not None:
                out.append(info)
        return out

    def tag(self, image_id: str, ref: str) -> None:
        repo, _, tag = ref.rpartition(":")
        self.client.api.tag(image_id, repo, tag)

    def remove_image(self, ref: str) -> None:
        with contextlib.suppress(NotFound, ImageNotFound):
            self.client.api.remove_image(ref, force=True)

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

        api = self.client.api
        created = api.create_container(
            image,
            command=["true"],
            labels=self.labels,
            network_disabled=True,
            host_config=api.create_host_config(network_mode="none"),
        )
        container = str(created["Id"])
        self.journal.created("container", container)
        try:
            out = {}
            for path in paths:
                data = read_file(
                    lambda p: iter(api.get_archive(container, p, chunk_size=1024 * 1024)[0]),
                    path,
                    limit,
                    (APIError, NotFound, requests.exceptions.RequestException),
                )
                if data is not None:
                    out[path] = data
            return out
        finally:
            self._remove_container(container)

    def export_files(self, image: str) -> Iterator[FileEntry]:
        """The image's flattened file system, streamed from ``docker export`` (never held in memory)."""
        container = self.client.containers.create(image, command=["true"], labels=self.labels, network_mode="none")
        self.journal.created("container", container.id)
        try:
            stream = Chunks(container.export(chunk_size=1024 * 1024))
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    yield _entry(tar, member)
        finally:
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True)
            self.journal.removed("container", container.id)

    def save_layers(self, image: str, wanted: frozenset[str]) -> SavedLayers:
        """Which layer writes (or deletes) which of the ``wanted`` paths, streamed from ``docker save``."""
        found: dict[str, set[str]] = {}
        manifest: list[dict[str, Any]] = []
        configs: dict[str, dict[str, Any]] = {}
        stream = Chunks(self.client.api.get_image(image, chunk_size=1024 * 1024))
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

    def prune_cache(self, keep: int, spare: str | None = None) -> tuple[str, ...]:
        """Keep the ``keep`` newest smoke-cache images of this project (and ``spare``); remove the others.
        Only this project's images are looked at; an image a container still uses is left."""
        if not self.project_id:
            return ()
        filters = {"label": [f"{PROJECT_LABEL}={self.project_id}", DIGEST_LABEL]}
        try:
            images = sorted(self.client.api.images(filters=filters), key=lambda i: int(i.get("Created", 0)))
        except (APIError, requests.exceptions.RequestException):
            return ()
        images.reverse()  # newest first
        kept = [i for i in images if i["Id"] == spare][:1]
        removed: list[str] = []
        for item in images:
            if item in kept:
                continue
            if len(kept) < keep:
                kept.append(item)
                continue
            if self._remove_image_item(item, force=False):
                removed.append(str(item["Id"]))
        return tuple(removed)

    def _remove_image_item(self, item: Mapping[str, Any], force: bool) -> bool:
        refs = [t for t in item.get("RepoTags") or () if t != "<none>:<none>"] or [str(item["Id"])]
        try:
            for ref in refs:
                self.client.api.remove_image(ref, force=force)
        except NotFound:
            return True
        except APIError:
            return False
        return True

    def cleanup(self, project: str | None = None, everything: bool = False, dry_run: bool = False) -> CleanupReport:
        """Remove this run's containers, images and networks; with ``project`` (an id from ``project_id``)
        that project's, including what its killed runs left (from their journals); with ``everything`` every
        reprocheck object on the engine. Objects of runs still going on this machine are never touched."""
        if everything:
            label = LABEL
        elif project:
            label = f"{PROJECT_LABEL}={project}"
        else:
            label = f"{RUN_LABEL}={self.run_id}"
        skipped: list[str] = []  # journals that are not what a run writes: one line each
        runs = [r for r in read_runs(warn=skipped.append) if r.engine == engine_host()]
        live = {r.run for r in runs if r.alive and r.run != self.run_id}
        dead = [
            r
            for r in runs
            if r.run not in live and (everything or r.project == project or (not project and r.run == self.run_id))
        ]

        def ours(item: Mapping[str, Any]) -> bool:
            return (item.get("Labels") or {}).get(RUN_LABEL) not in live

        api = self.client.api
        containers = [c for c in api.containers(all=True, filters={"label": label}) if ours(c)]
        images = [i for i in api.images(filters={"label": label}) if ours(i)]
        networks = [n for n in api.networks(filters={"label": label}) if ours(n)]
        left_containers = [c for r in dead for c in r.outstanding.get("container", [])]
        left_images = [i for r in dead for i in reversed(r.outstanding.get("image", []))]
        left_networks = [n for r in dead for n in r.outstanding.get("network", [])]
        removed_containers = [
            cid[:12]
            for cid in [str(c["Id"]) for c in containers] + left_containers
            if dry_run or self._try(lambda cid=cid: api.remove_container(cid, force=True))
        ]
        removed_images = [
            str(item["Id"]) for item in images if dry_run or self._remove_image_item(item, force=everything)
        ]
        # intermediate layers of killed builds, the last step first
        removed_images += [iid for iid in left_images if dry_run or self._try(lambda iid=iid: api.remove_image(iid))]
        removed_networks = [
            nid[:12]
            for nid in [str(n["Id"]) for n in networks] + left_networks
            if dry_run or self._try(lambda nid=nid: api.remove_network(nid))
        ]
        if not dry_run:
            for r in dead:
                if r.run != self.run_id:
                    with contextlib.suppress(OSError):
                        r.path.unlink()
        return CleanupReport(
            tuple(dict.fromkeys(removed_containers)),
            tuple(dict.fromkeys(removed_images)),
            tuple(dict.fromkeys(removed_networks)),
            tuple(sorted(live)),
            tuple(skipped),
        )

    @staticmethod
    def _try(action: Any) -> bool:
        """Run a removal; True when the object is gone (removed now, or already)."""
        try:
            action()
        except NotFound:
            return True
        except APIError:
            return False
        return True


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


def _read_file(container: Any, path: str, limit: int) -> bytes | None:
    """A file of the container, streamed from its archive; None when absent or larger than ``limit``."""
    try:
        chunks, _ = container.get_archive(path, chunk_size=1024 * 1024)
    except (NotFound, APIError):
        return None
    with tarfile.open(fileobj=Chunks(chunks), mode="r|") as tar:
        for member in tar:
            if member.isfile():
                if member.size > limit:
                    return None
                handle = tar.extractfile(member)
                return handle.read(limit + 1) if handle else None
    return None


_RUNNING = re.compile(r"^ ---> Running in ([0-9a-f]{12})$")
_REMOVING = re.compile(r"^Removing intermediate container ([0-9a-f]{12})$")
_STEP_LINE = re.compile(r"^Step (\d+)/(\d+) : (.*)$", re.DOTALL)


def _user_step(line: str, extra: int) -> str | None:
    """``Step 9/14 : RUN ...`` as ``docker build`` numbers it (without the ``extra`` LABEL steps the API adds at
    the end); None for those added steps."""
    m = _STEP_LINE.match(line)
    if m is None:
        return line
    number, total = int(m.group(1)), int(m.group(2)) - extra
    if number > total:
        return None
    return f"Step {number}/{total} : {m.group(3)}"


def _first(exc: BaseException) -> str:
    """One line for people: the innermost OS error's words when there is one ("Connection refused"), else
    the first line of the message without the Python reprs the SDK and urllib3 wrap around it."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
        todo += [a for a in e.args if isinstance(a, BaseException)]
        todo += [c for c in (e.__cause__, e.__context__) if c is not None]
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return re.split(r":? \(\(?['\"<]|\w+Error\(", text)[0][:300]
