"""Compare two builds of one image: configs, layer digests, and file trees, file by file.

Pure and streaming: the first tree is kept as one small tuple per path (no content, only its sha256), the
second is compared entry by entry as it arrives, so memory grows with the number of files, never with
their size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reprocheck.backend.base import FileEntry, ImageInfo

# config keys compared (Created differs on every build of an engine without SOURCE_DATE_EPOCH support: it is
# reported on its own)
CONFIG_KEYS = ("user", "workdir", "env", "entrypoint", "cmd", "labels", "architecture", "os")
IGNORED_LABELS = ("io.reprocheck.",)
# what `docker export` shows that a container made, not the image: mount points and runtime files
EXPORT_ARTIFACTS = frozenset(
    {
        "/.dockerenv",
        "/etc/hosts",
        "/etc/hostname",
        "/etc/resolv.conf",
        "/etc/mtab",
        "/dev/console",
        "/dev/pts",
        "/dev/shm",
    }
)

# directories whose mtime the export's container sets when it makes those files and mount points
EXPORT_TOUCHED_DIRS = frozenset({"/", "/etc", "/dev", "/proc", "/sys"})


@dataclass(frozen=True)
class FileChange:
    path: str
    change: str  # "added" | "removed" | "content" | "kind" | "link" | "mode" | "owner" | "mtime"
    before: str = ""
    after: str = ""
    size: int = 0
    also: tuple[str, ...] = ()  # other aspects that differ besides ``change`` (mtime with content...)


@dataclass(frozen=True)
class TreeDiff:
    files_a: int
    files_b: int
    bytes_b: int
    changes: tuple[FileChange, ...]


@dataclass(frozen=True)
class ConfigDiff:
    key: str
    before: str
    after: str


_Record = tuple[str, int, int, int, int, int, str | None, str | None]  # kind mode uid gid size mtime digest link


def _record(e: FileEntry) -> _Record:
    return (e.kind, e.mode, e.uid, e.gid, e.size, e.mtime, e.digest, e.link)


def index(entries: Iterable[FileEntry]) -> dict[str, _Record]:
    """Path -> what is compared, for the first image's tree."""
    out: dict[str, _Record] = {}
    for e in entries:
        path = e.path.rstrip("/") or "/"
        if path not in EXPORT_ARTIFACTS:
            out[path] = _record(e)
    return out


def _compare(path: str, a: _Record, b: _Record) -> FileChange | None:
    kind_a, mode_a, uid_a, gid_a, _, mtime_a, digest_a, link_a = a
    kind_b, mode_b, uid_b, gid_b, size_b, mtime_b, digest_b, link_b = b
    aspects: list[tuple[str, str, str]] = []
    if kind_a != kind_b:
        aspects.append(("kind", kind_a, kind_b))
    elif kind_a == "file" and digest_a != digest_b:
        aspects.append(("content", (digest_a or "")[:12], (digest_b or "")[:12]))
    elif link_a != link_b:
        aspects.append(("link", link_a or "", link_b or ""))
    if mode_a != mode_b:
        aspects.append(("mode", oct(mode_a), oct(mode_b)))
    if (uid_a, gid_a) != (uid_b, gid_b):
        aspects.append(("owner", f"{uid_a}:{gid_a}", f"{uid_b}:{gid_b}"))
    # directories too (a directory's mtime alone makes a layer differ), but for those the export touches
    if mtime_a != mtime_b and not (kind_a == "dir" and path in EXPORT_TOUCHED_DIRS):
        aspects.append(("mtime", str(mtime_a), str(mtime_b)))
    if not aspects:
        return None
    change, before, after = aspects[0]
    return FileChange(path, change, before, after, size_b, tuple(a[0] for a in aspects[1:]))


def diff_trees(first: Mapping[str, _Record], second: Iterable[FileEntry]) -> TreeDiff:
    """Every path that differs between the two trees (``first`` from ``index``; ``second`` streamed)."""
    remaining = dict(first)
    changes: list[FileChange] = []
    files_b = bytes_b = 0
    for entry in second:
        path = entry.path.rstrip("/") or "/"
        if path in EXPORT_ARTIFACTS:
            continue
        files_b += 1
        bytes_b += entry.size
        before = remaining.pop(path, None)
        if before is None:
            changes.append(FileChange(path, "added", "", entry.kind, entry.size))
            continue
        change = _compare(path, before, _record(entry))
        if change is not None:
            changes.append(change)
    changes.extend(FileChange(path, "removed", rec[0], "", rec[4]) for path, rec in remaining.items())
    changes.sort(key=lambda c: c.path)
    return TreeDiff(len(first), files_b, bytes_b, tuple(changes))


def _config_value(info: ImageInfo, key: str) -> str:
    value = getattr(info, key)
    if key == "labels":
        value = {k: v for k, v in value.items() if not k.startswith(IGNORED_LABELS)}
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    if isinstance(value, tuple):
        return " ".join(value)
    return str(value)


def diff_config(a: ImageInfo, b: ImageInfo) -> list[ConfigDiff]:
    return [
        ConfigDiff(key, _config_value(a, key), _config_value(b, key))
        for key in CONFIG_KEYS
        if _config_value(a, key) != _config_value(b, key)
    ]


def same_layers(a: ImageInfo, b: ImageInfo) -> int:
    """How many layers, from the base up, are identical."""
    n = 0
    for x, y in zip(a.layers, b.layers, strict=False):
        if x != y:
            break
        n += 1
    return n
