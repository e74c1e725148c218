"""Build twice without cache, compare, explain; both images removed afterwards, also on failure and Ctrl-C."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from reprocheck.backend.base import RUN_LABEL, BuildRequest, BuildResult, ContainerBackend, ImageInfo, Progress
from reprocheck.backend.inputs import image_name
from reprocheck.errors import ConfigError
from reprocheck.model.build import ImageSource
from reprocheck.model.dockerfile import Dockerfile
from reprocheck.model.finding import Finding
from reprocheck.rebuild.diff import ConfigDiff, TreeDiff, diff_config, diff_trees, index, same_layers
from reprocheck.rebuild.explain import Group, Origin, config_findings, findings, group, hidden_layer_finding
from reprocheck.rebuild.layers import layer_origins, origin_finder
from reprocheck.rebuild.spec import RebuildSpec


@dataclass(frozen=True)
class RebuildOutcome:
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]
    identical: bool  # same layer digests and config (apart from the creation time)
    layers: tuple[int, int]  # (identical layers from the base up, layers)
    config: tuple[ConfigDiff, ...] = ()
    tree: TreeDiff | None = None
    groups: tuple[Group, ...] = ()
    allowed: int = 0
    seconds: dict[str, float] | None = None
    failed_build: BuildResult | None = None  # a build that failed (the pipeline reports it as RC801)


def source_date_epoch(value: str | None, context: Path) -> str | None:
    if value != "git":
        return value
    try:
        proc = subprocess.run(
            ["git", "-C", str(context), "log", "-1", "--format=%ct"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    if proc is None or proc.returncode != 0 or not proc.stdout.strip().isdigit():
        raise ConfigError(f"source-date-epoch = git: `{context}` is not in a git repository with a commit")
    return proc.stdout.strip()


@contextmanager
def varied_context(source: ImageSource) -> Iterator[ImageSource]:
    """A copy of the context under another directory name, with group-writable modes (a checkout made
    under umask 002): neither should matter to a reproducible build."""
    scratch = Path(tempfile.mkdtemp(prefix="reprocheck-vary-"))
    try:
        copy = scratch / f"{source.context.name or 'context'}-varied"
        shutil.copytree(source.context, copy, symlinks=True)
        for root, dirs, files in os.walk(copy):
            for name in [*dirs, *files]:
                path = Path(root) / name
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode | 0o020)
        try:
            dockerfile = copy / source.dockerfile.resolve().relative_to(source.context.resolve())
        except ValueError:
            dockerfile = source.dockerfile
        yield replace(source, context=copy, dockerfile=dockerfile)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class RebuildRunner:
    def __init__(
        self, backend: ContainerBackend, spec: RebuildSpec, progress: Progress, buildkit: bool = False
    ) -> None:
        self.backend = backend
        self.spec = spec
        self.progress = progress
        self.buildkit = buildkit  # the pipeline's decision: the Dockerfile needs BuildKit
        self.run_id = uuid.uuid4().hex[:12]

    def _build(self, source: ImageSource, which: str, epoch: str | None) -> BuildResult:
        args = dict(source.build_args)
        if epoch is not None:
            args["SOURCE_DATE_EPOCH"] = epoch
        request = BuildRequest(
            context=source.context,
            dockerfile=source.dockerfile,
            tag=f"{image_name(source.project)}:rebuild-{which}-{self.run_id}",
            build_args=args,
            target=source.target,
            labels={RUN_LABEL: self.run_id},
            no_cache=True,
            buildkit=self.buildkit,
            network=self.spec.network,
        )
        self.progress(f"build {which} of 2, without cache")
        return self.backend.build(request, self.progress)

    def run(self, source: ImageSource) -> RebuildOutcome:
        from reprocheck.lint.project import display
        from reprocheck.parsing.dockerfile import parse_dockerfile

        shown = display(source.dockerfile)
        epoch = source_date_epoch(self.spec.source_date_epoch, source.context)
        notes: list[str] = []
        if epoch is not None:
            notes.append(
                f"SOURCE_DATE_EPOCH={epoch} passed to both builds (BuildKit 0.11+ uses it; older builders ignore it)"
            )
        built: list[BuildResult] = []
        timings: dict[str, float] = {}
        try:
            started = time.monotonic()
            first = self._build(source, "a", epoch)
            built.append(first)
            if not first.ok:
                return RebuildOutcome((), tuple(notes), False, (0, 0), failed_build=first)
            if self.spec.vary:
                with varied_context(source) as varied:
                    notes.append(
                        f"the second build ran from a copy of the context named `{varied.context.name}` with "
                        "group-writable modes"
                    )
                    second = self._build(varied, "b", epoch)
            else:
                second = self._build(source, "b", epoch)
            built.append(second)
            timings["builds"] = time.monotonic() - started
            if not second.ok:
                return RebuildOutcome((), tuple(notes), False, (0, 0), failed_build=second)
            df = parse_dockerfile(source.dockerfile.read_bytes(), shown)
            return self._compare(first, second, df, shown, notes, timings, source.target)
        finally:
            for result in built:
                if result.ok:
                    self.backend.remove_image(result.tag)

    def _compare(
        self,
        first: BuildResult,
        second: BuildResult,
        df: Dockerfile,
        shown: str,
        notes: list[str],
        timings: dict[str, float],
        target: str | None,
    ) -> RebuildOutcome:
        info_a = self.backend.inspect(first.tag)
        info_b = self.backend.inspect(second.tag)
        if info_a is None or info_b is None:
            raise ConfigError("a built image vanished from the engine during the comparison")
        config = diff_config(info_a, info_b)
        same = same_layers(info_a, info_b)
        total = len(info_b.layers)
        notes.append(
            f"{same} of {_n(total, 'layer')} identical"
            + ("" if same == total else f"; the first that differs is layer {same + 1}")
        )
        if info_a.created != info_b.created:
            notes.append("image creation times differ (every build without SOURCE_DATE_EPOCH support)")
        lines = _config_lines(df)
        out = config_findings(config, shown, lines)
        if same == total == len(info_a.layers) and not config:
            notes.append("the two builds have identical layer digests")
            return RebuildOutcome(tuple(out), tuple(notes), True, (same, total), seconds=timings)
        self.progress("comparing the file trees (exported from the engine, streamed)")
        t0 = time.monotonic()
        tree = diff_trees(index(self.backend.export_files(first.tag)), self.backend.export_files(second.tag))
        timings["compare"] = time.monotonic() - t0
        notes.append(
            f"{len(tree.changes)} of {_n(tree.files_b, 'path')} differ ({tree.bytes_b / 1e6:.0f} MB of files compared)"
        )
        origin_of = self._origins(df, info_a, info_b, tree, first, second, target, timings)
        groups, skipped = group(tree.changes, origin_of, self.spec.allow_paths, self.spec.allow_causes)
        if skipped:
            notes.append(f"{_n(skipped, 'difference')} allowed by the configuration (allow-paths, allow-causes)")
        out += findings(groups, shown)
        if not tree.changes and same < total:
            saved = self.backend.save_layers(second.tag, frozenset())
            origins = layer_origins(df, saved.history, target)
            origin = origins[same] if same < len(origins) else None
            out.append(hidden_layer_finding(origin, same, shown))
        return RebuildOutcome(
            tuple(out), tuple(notes), False, (same, total), tuple(config), tree, tuple(groups), skipped, timings
        )

    def _origins(
        self,
        df: Dockerfile,
        info_a: ImageInfo,
        info_b: ImageInfo,
        tree: TreeDiff,
        first: BuildResult,
        second: BuildResult,
        target: str | None,
        timings: dict[str, float],
    ) -> Callable[[str], Origin | None]:
        wanted = frozenset(c.path for c in tree.changes)
        if not wanted:
            return lambda _path: None
        t0 = time.monotonic()
        self.progress("finding the layer that wrote each differing file (docker save, streamed)")
        saved = [self.backend.save_layers(second.tag, wanted)]
        removed = {c.path for c in tree.changes if c.change == "removed"}
        if removed:
            saved.append(self.backend.save_layers(first.tag, frozenset(removed)))
        origins = [layer_origins(df, s.history, target) for s in saved]
        timings["attribute"] = time.monotonic() - t0
        return origin_finder(saved, origins)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _config_lines(df: Dockerfile) -> dict[str, int]:
    keys = {"ENV": "env", "ENTRYPOINT": "entrypoint", "CMD": "cmd", "LABEL": "labels", "USER": "user"}
    keys["WORKDIR"] = "workdir"
    out: dict[str, int] = {}
    for ins in df.instructions:
        key = keys.get(ins.keyword)
        if key:
            out[key] = ins.line
    return out
