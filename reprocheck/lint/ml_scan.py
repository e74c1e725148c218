"""The part of the build context the final image copies, read for the ML rules: Python sources (calls that
fetch weights, compile or load checkpoints) and model artifacts (``ml_artifacts``), all bounded.

The walk never follows a symlink, reads only regular files inside the context, honours .dockerignore, and
stops at ``MAX_ENTRIES`` entries, ``MAX_SOURCES`` sources of at most ``MAX_SOURCE_BYTES`` each and
``MAX_ARTIFACTS`` artifacts. Directories are walked, and sources and artifacts read, only when the image gets
an ML library or the context's .gitattributes stores files in Git LFS; otherwise only the files COPY names are
looked at for a Git LFS pointer (a 1 KiB read)."""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from reprocheck.model.dockerfile import CopyInstruction
from reprocheck.model.ml import Artifact, CodeCall, MlStage
from reprocheck.model.patterns import lazy
from reprocheck.model.project import Project

from . import files
from .dockerignore import DockerIgnore

MAX_ENTRIES = 5000
MAX_SOURCES = 300
MAX_SOURCE_BYTES = 512 * 1024
MAX_ARTIFACTS = 50
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".tox"}
MODEL_SUFFIXES = (
    ".pt",
    ".pth",
    ".bin",
    ".ckpt",
    ".safetensors",
    ".onnx",
    ".pkl",
    ".pickle",
    ".joblib",
    ".h5",
    ".keras",
    ".pb",
    ".tflite",
    ".model",
    ".ubj",
    ".gguf",
    ".msgpack",
    ".npz",
    ".npy",
    ".txt",
    ".json",
)
# .txt and .json are model files only under these names (LightGBM text models, XGBoost JSON models)
_TEXT_MODEL = lazy(r"(model|booster|lgb|lightgbm|xgb|xgboost|clf|regressor|classifier)", re.IGNORECASE)
_LFS_HEAD = b"version https://git-lfs.github.com/spec/v1"
_WANTED = (".py", *MODEL_SUFFIXES)
# a file COPY names is checked for an LFS pointer whatever its suffix, except sources and configuration
_SOURCE_SUFFIXES = (".py", ".txt", ".in", ".toml", ".lock", ".cfg", ".ini", ".yml", ".yaml", ".md", ".sh", ".json")


def _sources(project: Project, stages: list[MlStage]) -> Iterator[tuple[int, str]]:
    into = {s.index for s in stages if s.final or s.feeds}
    for ins in project.dockerfile.instructions:
        if not isinstance(ins, CopyInstruction) or ins.from_stage or ins.onbuild or ins.stage not in into:
            continue
        for src in ins.sources:
            if src.startswith("<<") or "://" in src or "$" in src or any(ch in src for ch in "*?["):
                continue
            yield ins.line, src.strip("/") or "."


Listing = list[tuple[str, int]]


def _walk(context: Path, rel: str, ignore: DockerIgnore, walk_dirs: bool = True) -> Listing:
    """(context-relative path, size) of each regular file under ``rel`` that the context sends, at most
    MAX_ENTRIES entries looked at: no links, no special files. Without ``walk_dirs`` only a file named by COPY
    itself (an image without ML libraries: no walk of the tree)."""
    out: Listing = []
    start = context / rel if rel != "." else context
    try:
        info = os.lstat(start)
    except (OSError, ValueError):
        return out
    if stat.S_ISREG(info.st_mode):
        if ignore.excluded_by(rel) is None and files.within(start, context):
            out.append((rel, info.st_size))
        return out
    if not walk_dirs or not stat.S_ISDIR(info.st_mode) or not files.within(start, context):
        return out
    budget = MAX_ENTRIES
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            budget -= 1
            if budget < 0:
                return out
            if not name.endswith(_WANTED):
                continue  # only sources and model files are read: others are not even looked at
            full = Path(dirpath) / name
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            relp = full.relative_to(context).as_posix()
            if ignore.excluded_by(relp) is None:
                out.append((relp, st.st_size))
    return out


def _listing(context: Path, rel: str, ignore: DockerIgnore, walk_dirs: bool, cache: dict[object, Listing]) -> Listing:
    """``_walk``, remembered for the run: the Dockerfiles of one repository copy the same trees."""
    key = (str(context), rel, walk_dirs, ignore.where, tuple(p.text for p in ignore.patterns))
    if key not in cache:
        if len(cache) > 1024:
            cache.clear()
        cache[key] = _walk(context, rel, ignore, walk_dirs)
    return cache[key]


def _is_model(rel: str) -> bool:
    low = rel.lower()
    if not low.endswith(MODEL_SUFFIXES):
        return False
    if low.endswith((".txt", ".json")):
        return _TEXT_MODEL.search(low.rsplit("/", 1)[-1]) is not None and "requirements" not in low
    return True


def _uses_lfs(context: Path) -> bool:
    """The repository stores files in Git LFS (``filter=lfs`` in the context's .gitattributes)."""
    data = files.read_file(context / ".gitattributes", context, 256 * 1024)
    return isinstance(data, bytes) and b"filter=lfs" in data


def _named_artifact(rel: str, src: str) -> bool:
    """A file COPY names itself, not a source or configuration file: checked whatever its suffix."""
    return rel == src and not rel.endswith(_SOURCE_SUFFIXES)


def _head(path: Path, n: int) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, n)
    except OSError:
        return b""
    finally:
        os.close(fd)


def lfs_pointer(head: bytes) -> str | None:
    """The object a Git LFS pointer stands for ("sha256:9f2c..., 438 MB"), or None when it is no pointer."""
    if not head.startswith(_LFS_HEAD):
        return None
    text = head.decode("utf-8", errors="replace")
    oid = re.search(r"^oid (\S+)", text, re.MULTILINE)
    size = re.search(r"^size (\d+)", text, re.MULTILINE)
    shown = oid.group(1)[:19] + "..." if oid else "unknown object"
    if size:
        n = int(size.group(1))
        shown += f", size {n / 1e6:.0f} MB" if n >= 1e6 else f", size {n} bytes"
    return shown


def _calls(shown: str, text: str, patterns: list[tuple[str, re.Pattern[str]]], at_build: bool) -> Iterator[CodeCall]:
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith("#") or len(line) > 2000:
            continue
        for call, pattern in patterns:
            m = pattern.search(line)
            if m is None:
                continue
            target = next((g for g in m.groups()[::-1] if g and g not in ("'", '"')), "") if m.groups() else ""
            yield CodeCall(shown, number, call, target, stripped.strip()[:160], at_build)


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    from reprocheck.knowledge import table

    return [(row["call"], re.compile(row["pattern"])) for row in table("fetch_calls")]


def scan(
    project: Project, context: Path, stages: list[MlStage], deep: bool, cache: dict[object, Listing] | None = None
) -> tuple[tuple[CodeCall, ...], tuple[Artifact, ...], frozenset[str]]:
    """Calls and artifacts of what the final image copies. ``cache`` (one per lint run) keeps directory
    listings and .dockerignore files between the Dockerfiles of a tree."""
    cache = {} if cache is None else cache
    ignore_key = ("ignore", str(context))
    if ignore_key not in cache:
        cache[ignore_key] = DockerIgnore.for_context(context, context / "Dockerfile")  # type: ignore[assignment]
    ignore: DockerIgnore = cache[ignore_key]  # type: ignore[assignment]
    budget = MAX_ENTRIES
    seen: set[str] = set()
    calls: list[CodeCall] = []
    artifacts: list[Artifact] = []
    sources = 0
    runs = [t for s in stages for _, t in s.runs] if deep else []
    lfs_key = ("lfs", str(context))
    if not deep and lfs_key not in cache:
        cache[lfs_key] = [("", int(_uses_lfs(context)))]
    walk_dirs = deep or bool(cache[lfs_key][0][1])
    patterns: list[tuple[str, re.Pattern[str]]] = []  # read from the table when a source may hold a call
    for line, src in _sources(project, stages):
        for rel, size in _listing(context, src, ignore, walk_dirs, cache):
            budget -= 1
            if budget < 0:
                break
            if rel in seen:
                continue
            seen.add(rel)
            path = context / rel
            if deep and rel.endswith(".py") and sources < MAX_SOURCES and size <= MAX_SOURCE_BYTES:
                sources += 1
                data = files.read_file(path, context, MAX_SOURCE_BYTES)
                text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else ""
                from reprocheck.knowledge import needles

                if any(n in text for n in needles("fetch_calls")):
                    patterns = patterns or _patterns()
                    name = rel.rsplit("/", 1)[-1]
                    at_build = any(name in r and "python" in r for r in runs)
                    shown = posixpath.normpath(posixpath.join(project.context or ".", rel))
                    calls.extend(_calls(shown, text, patterns, at_build))
            elif len(artifacts) < MAX_ARTIFACTS and (_is_model(rel) or _named_artifact(rel, src)):
                artifacts.extend(_artifact(path, rel, line, size, context, deep))
    return tuple(calls), tuple(artifacts), frozenset(seen)


def _artifact(path: Path, rel: str, line: int, size: int, context: Path, deep: bool) -> Iterator[Artifact]:
    if size < 1024:
        pointer = lfs_pointer(_head(path, 1024))
        if pointer is not None:
            yield Artifact(rel, line, "lfs-pointer", detail=pointer)
            return
    if deep:
        from .ml_artifacts import read_artifact

        got = read_artifact(path, rel, line, context)
        if got is not None:
            yield got
