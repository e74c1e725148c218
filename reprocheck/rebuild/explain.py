"""Why do two builds differ? Pure: file changes in, groups by cause and by the Dockerfile instruction that
wrote the files out, each a Finding with the hint that fixes it."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.model.rule import RuleMeta
from reprocheck.rebuild.diff import ConfigDiff, FileChange
from reprocheck.rules.runtime import (
    REBUILD_CACHES,
    REBUILD_CONFIG,
    REBUILD_CONTENT,
    REBUILD_METADATA,
    REBUILD_MTIME,
    REBUILD_PYC,
)

SHOWN = 8  # file names listed per finding


@dataclass(frozen=True)
class Cause:
    name: str
    rule: RuleMeta
    title: str
    hint: str


CAUSES: dict[str, Cause] = {
    c.name: c
    for c in (
        Cause(
            "content",
            REBUILD_CONTENT,
            "content",
            "a floating input: an unpinned install, a download that changes, the build time or a random value "
            "written to a file. Pin it, download by checksum, or leave it out of the image",
        ),
        Cause(
            "pyc",
            REBUILD_PYC,
            "byte-compiled Python",
            "the .pyc files embed the mtime of their source: set PYTHONDONTWRITEBYTECODE=1 and install with "
            "`pip install --no-compile`, or compile with `python -m compileall --invalidation-mode unchecked-hash`",
        ),
        Cause(
            "apt",
            REBUILD_CACHES,
            "package lists, caches and logs",
            "remove them in the same RUN that made them: `apt-get update && apt-get install ... && rm -rf "
            "/var/lib/apt/lists/* /var/cache/apt/*` (and /var/log/apt, /var/log/dpkg.log)",
        ),
        Cause(
            "cache",
            REBUILD_CACHES,
            "package caches and logs",
            "install without a cache (`pip install --no-cache-dir`, `conda clean -afy`, `npm cache clean "
            "--force`) or use a cache mount (`RUN --mount=type=cache,target=/root/.cache/pip`)",
        ),
        Cause(
            "metadata",
            REBUILD_METADATA,
            "mode, owner or link",
            "a COPY whose source modes depend on the checkout (umask) or a RUN that sets them from its input: "
            "use `COPY --chmod=` / `--chown=` or set modes explicitly",
        ),
        Cause(
            "mtime",
            REBUILD_MTIME,
            "modification times only",
            "the same bytes with other timestamps: harmless for most images, but layer digests differ; "
            "BuildKit 0.13+ rewrites them from SOURCE_DATE_EPOCH (`--output type=image,rewrite-timestamp=true`)",
        ),
    )
}

_APT = (
    "/var/lib/apt/lists",
    "/var/lib/apt/*",
    "/var/cache/apt",
    "/var/cache/apt/*",
    "/var/cache/debconf",
    "/var/cache/debconf/*",
    "/var/log/apt",
    "/var/log/apt/*",
    "/var/log/dpkg.log",
    "/var/log/alternatives.log",
    "/var/log/bootstrap.log",
    "/var/cache/ldconfig/*",
    "/var/lib/dpkg/*-old",
    "/var/cache/apk/*",
    "/etc/ld.so.cache",
)
_CACHE = (
    "/root/.cache/*",
    "/home/*/.cache/*",
    "*/.cache/pip/*",
    "/opt/conda/pkgs/*",
    "*/conda/pkgs/*",
    "/root/.npm/*",
    "/root/.conda/*",
    "/tmp/*",
    "/var/tmp/*",
    "/var/log/*",
    "/var/cache/*",
)


def cause_of(change: FileChange) -> str:
    path = change.path
    # the same bytes with another timestamp are RC824 wherever they are: a cache hint for a lock file in /tmp
    # whose only difference is its mtime sends the reader the wrong way
    if change.change == "mtime":
        return "mtime"
    if any(fnmatch.fnmatch(path, p) for p in _APT):
        return "apt"
    if any(fnmatch.fnmatch(path, p) for p in _CACHE):
        return "cache"
    if path.endswith((".pyc", ".pyo")) or "/__pycache__/" in path:
        return "pyc"
    if change.change in ("mode", "owner", "link"):
        return "metadata"
    return "content"


@dataclass(frozen=True)
class Origin:
    """The Dockerfile instruction that made a layer (line 1 and the history text when unknown)."""

    line: int
    text: str
    layer: int  # index of the layer in the image, base first


@dataclass(frozen=True)
class Group:
    cause: str
    origin: Origin | None
    changes: tuple[FileChange, ...]


def allowed(change: FileChange, cause: str, paths: Sequence[str], causes: Sequence[str]) -> bool:
    return cause in causes or any(fnmatch.fnmatch(change.path, p) for p in paths)


def group(
    changes: Iterable[FileChange],
    origin_of: Callable[[str], Origin | None],
    allow_paths: Sequence[str] = (),
    allow_causes: Sequence[str] = (),
) -> tuple[list[Group], int]:
    """(groups by cause and origin, number of changes the configuration allows)."""
    buckets: dict[tuple[str, int, int], list[FileChange]] = {}
    origins: dict[tuple[str, int, int], Origin | None] = {}
    skipped = 0
    for change in changes:
        cause = cause_of(change)
        if allowed(change, cause, allow_paths, allow_causes):
            skipped += 1
            continue
        origin = origin_of(change.path)
        key = (cause, origin.line if origin else 0, origin.layer if origin else -1)
        buckets.setdefault(key, []).append(change)
        origins[key] = origin
    order = list(CAUSES)
    keys = sorted(buckets, key=lambda k: (order.index(k[0]), k[1], k[2]))
    return [Group(k[0], origins[k], tuple(buckets[k])) for k in keys], skipped


def _describe(c: FileChange) -> str:
    if c.change in ("added", "removed"):
        return f"{c.path} ({c.change} in the second build)"
    extra = f" (+{', '.join(c.also)})" if c.also else ""
    return f"{c.path}: {c.change} {c.before} -> {c.after}{extra}"


DETAILS_PATHS = 2000  # paths of one group carried in its finding's details (the HTML tree shows the first 400)


def findings(groups: Sequence[Group], dockerfile: str) -> list[Finding]:
    out: list[Finding] = []
    for g in groups:
        cause = CAUSES[g.cause]
        n = len(g.changes)
        where = f"made by `{g.origin.text}`" if g.origin and g.origin.line else "in the base image or an unknown step"
        if g.origin and not g.origin.line:
            where = f"in layer {g.origin.layer + 1} ({g.origin.text})"
        message = (
            f"{n} file{'s' if n != 1 else ''} differ{'s' if n == 1 else ''} between two builds ({cause.title}), {where}"
        )
        shown = [_describe(c) for c in g.changes[:SHOWN]]
        if n > SHOWN:
            shown.append(f"... and {n - SHOWN} more")
        hint = cause.hint + "\n" + "\n".join(shown)
        line = g.origin.line if g.origin and g.origin.line else 1
        details = {
            "cause": g.cause,
            "instruction": g.origin.text if g.origin else None,
            "files": n,
            "paths": [c.path for c in g.changes[:DETAILS_PATHS]],
        }
        out.append(cause.rule.finding(Location(dockerfile, line), message, hint, details=details))
    return out


def config_findings(diffs: Sequence[ConfigDiff], dockerfile: str, lines: Mapping[str, int]) -> list[Finding]:
    """The image configs differ (env, entrypoint, cmd, labels, user, workdir): RC825."""
    return [
        REBUILD_CONFIG.finding(
            Location(dockerfile, lines.get(d.key, 1)),
            f"the image config's {d.key} differs between two builds: `{d.before[:80]}` vs `{d.after[:80]}`",
            hint="a build argument or ENV computed at build time (a date, a git describe): pass it explicitly",
        )
        for d in diffs
    ]


def hidden_layer_finding(origin: Origin | None, layer: int, dockerfile: str) -> Finding:
    """A layer whose digest differs (RC824) while the final image's files are all the same: what differs
    (a directory's mtime, a file a later layer overwrites or deletes) is hidden by the layers above it."""
    where = f"made by `{origin.text}`" if origin and origin.line else f"layer {layer + 1}"
    if origin and not origin.line:
        where = f"layer {layer + 1} ({origin.text})"
    return REBUILD_MTIME.finding(
        Location(dockerfile, origin.line if origin and origin.line else 1),
        f"layer {layer + 1} differs between two builds ({where}) but the final image's files are the same: "
        "the difference (timestamps, or files a later layer overwrites or deletes) is hidden by later layers",
        CAUSES["mtime"].hint,
    )
