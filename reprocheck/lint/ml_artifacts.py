"""Model artifacts read as hostile input, never loaded: which library version wrote them, and where their
tensors live.

- pickles and joblib files: ``pickletools.genops`` walks the opcodes (nothing is imported or called); a
  joblib file carries raw array bytes between its pickle opcodes, so the walk restarts at each
  ``_sklearn_version`` key it finds. A pickle that names ``os.system``, ``subprocess``, ``eval``... is
  reported as unsafe and not read further;
- XGBoost JSON/UBJSON models: the ``version`` array; LightGBM text models: the ``version=`` line;
- zip files (torch checkpoints, ``.keras``): the central directory is checked first (entry count, sizes,
  compression ratio), then at most one small member is read (``data.pkl``, ``metadata.json``).

Bounds: a file is read through one descriptor opened without following links (``O_NOFOLLOW``, no FIFO or
device: ``fstat`` first); at most ``HEAD`` bytes from its start and ``TAIL`` from its end (a 2 GB file, sparse
or not, costs 16 MiB); a zip member at most ``MEMBER`` bytes, decompressed in a bounded read."""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from reprocheck.model.ml import Artifact

from . import files

HEAD = 8 * 1024 * 1024
TAIL = 8 * 1024 * 1024
MEMBER = 16 * 1024 * 1024
MAX_ZIP_ENTRIES = 100_000
MAX_RATIO = 200
_UNSAFE = {
    ("os", "system"),
    ("posix", "system"),
    ("nt", "system"),
    ("os", "popen"),
    ("posix", "popen"),
    ("subprocess", "Popen"),
    ("subprocess", "call"),
    ("subprocess", "run"),
    ("subprocess", "check_output"),
    ("subprocess", "check_call"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "compile"),
    ("builtins", "__import__"),
    ("__builtin__", "eval"),
    ("__builtin__", "exec"),
    ("runpy", "run_path"),
    ("runpy", "run_module"),
    ("importlib", "import_module"),
    ("webbrowser", "open"),
    ("socket", "socket"),
    ("shutil", "rmtree"),
}


class _Bad(Exception):
    """The artifact cannot be read safely; the message says why, in words fit for a finding."""


def _open_regular(path: Path, context: Path) -> tuple[int, int]:
    if not files.within(path, context):
        raise _Bad("a link out of the build context: not read")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        raise _Bad(f"cannot open: {getattr(exc, 'strerror', None) or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _Bad("not a regular file: not read")
    return fd, info.st_size


def _read_parts(fd: int, size: int) -> tuple[bytes, bytes]:
    """The first HEAD bytes and, for a bigger file, the last TAIL bytes."""
    head = os.pread(fd, min(size, HEAD), 0)
    if size <= HEAD:
        return head, b""
    tail = os.pread(fd, TAIL, size - TAIL) if size > HEAD + TAIL else os.pread(fd, size - HEAD, HEAD)
    return head, tail


def read_artifact(path: Path, rel: str, line: int, context: Path) -> Artifact | None:
    """What ``path`` says about the library that wrote it; None when it is no format known here."""
    try:
        fd, size = _open_regular(path, context)
    except _Bad as exc:
        return Artifact(rel, line, "unreadable", detail=str(exc))
    try:
        return _judge(fd, size, rel, line)
    except _Bad as exc:
        return Artifact(rel, line, "unreadable", detail=str(exc))
    except (OSError, ValueError, EOFError, MemoryError, RecursionError) as exc:
        return Artifact(rel, line, "unreadable", detail=f"cannot read ({type(exc).__name__}): not judged")
    finally:
        os.close(fd)


def _judge(fd: int, size: int, rel: str, line: int) -> Artifact | None:
    if size == 0:
        return None
    head, tail = _read_parts(fd, size)
    low = rel.lower()
    if head[:4] == b"PK\x03\x04":
        return _zip(fd, size, rel, line)
    if head[:1] == b"\x80" or low.endswith((".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt", ".bin")):
        data = _maybe_decompress(head, size)
        if data is None:
            return None
        whole = head[:1] in b"\x80(c}]" and size <= HEAD  # the walk saw the whole stream
        return _pickle(data, tail, rel, line, torch=low.endswith((".pt", ".pth", ".ckpt", ".bin")), whole=whole)
    if low.endswith(".json") and b'"learner"' in head:
        m = re.search(rb'"version"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]', tail or head)
        if m is None and tail:
            m = re.search(rb'"version"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]', head)
        return Artifact(rel, line, "xgboost", ".".join(g.decode() for g in m.groups())) if m else None
    if low.endswith(".ubj") or (head[:1] == b"{" and b"learner" in head[:256]):
        v = _ubj_version(tail or head) or _ubj_version(head)
        return Artifact(rel, line, "xgboost", v) if v else None
    if head.startswith(b"tree\n") or head.startswith(b"tree\r\n"):
        m = re.search(rb"^version=(v\d+)", head[:4096], re.MULTILINE)
        return Artifact(rel, line, "lightgbm", m.group(1).decode() if m else "")
    return None


def _maybe_decompress(head: bytes, size: int) -> bytes | None:
    """joblib's compressed containers, inflated up to HEAD bytes (a bomb stops there)."""
    if head[:1] == b"\x80":
        return head
    if head[:2] == b"\x1f\x8b":
        import gzip

        return _bounded(gzip.GzipFile(fileobj=io.BytesIO(head)))
    if head[:1] == b"x":  # zlib (joblib's default compressor writes a raw zlib stream)
        import zlib

        d = zlib.decompressobj()
        try:
            return d.decompress(head, HEAD)
        except zlib.error:
            return None
    if head[:3] == b"BZh":
        import bz2

        return _bounded(bz2.BZ2File(io.BytesIO(head)))
    if head[:6] == b"\xfd7zXZ\x00":
        import lzma

        return _bounded(lzma.LZMAFile(io.BytesIO(head)))
    return head if head[:1] in (b"(", b"c", b"}", b"]") else None


def _bounded(stream: io.BufferedIOBase) -> bytes:
    try:
        return stream.read(HEAD)
    except (OSError, EOFError, ValueError):
        return b""


def _unsafe(module: str, attr: str) -> bool:
    spawns = module in ("subprocess", "os", "posix", "nt") and attr.startswith(("exec", "spawn", "popen", "system"))
    return (module, attr) in _UNSAFE or spawns


class _Walk:
    """(opcode name, argument) pairs from ``start`` until the stream ends, cannot be parsed, or ``limit`` ops
    were read; afterwards ``count`` says how many were read and ``stopped`` whether a STOP ended it."""

    def __init__(self, data: bytes, start: int = 0, limit: int = 2_000_000) -> None:
        self.data, self.start, self.limit = data, start, limit
        self.count = 0
        self.stopped = False

    def __iter__(self) -> Iterator[tuple[str, object]]:
        import pickletools

        stream = io.BytesIO(self.data)
        stream.seek(self.start)
        try:
            for op, arg, _pos in pickletools.genops(stream):
                self.count += 1
                if self.count > self.limit:
                    return
                if op.name == "STOP":
                    self.stopped = True
                yield op.name, arg
        except Exception:  # truncated or mixed with raw bytes: what was read stays read
            return


def _pickle(data: bytes, tail: bytes, rel: str, line: int, torch: bool, whole: bool = True) -> Artifact | None:
    strings: list[str] = []
    persistent = stack_global = False
    sklearn = ""
    walk = _Walk(data)
    for name, arg in walk:
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            strings.append(f"{module}.{attr}")
            if _unsafe(module, attr):
                return Artifact(rel, line, "unsafe-pickle", detail=f"{module}.{attr}")
        elif name == "STACK_GLOBAL":
            stack_global = True
            if len(strings) >= 2 and _unsafe(strings[-2], strings[-1]):
                return Artifact(rel, line, "unsafe-pickle", detail=f"{strings[-2]}.{strings[-1]}")
        elif name in ("BINPERSID", "PERSID"):
            persistent = True
        elif isinstance(arg, str) and ("UNICODE" in name or name in ("STRING", "BINSTRING", "SHORT_BINSTRING")):
            strings.append(str(arg))
            if len(strings) > 100_000:
                strings = strings[-1000:]
            if len(strings) >= 2 and strings[-2] == "_sklearn_version" and not sklearn:
                sklearn = strings[-1]
    if stack_global:  # a global built from memoized strings: any dangerous pair among them counts
        seen = set(strings)
        pair = next(((m, a) for m, a in sorted(_UNSAFE) if m in seen and a in seen), None)
        if pair is not None:
            return Artifact(rel, line, "unsafe-pickle", detail=f"{pair[0]}.{pair[1]}")
    joblib_arrays = any("NumpyArrayWrapper" in s for s in strings)
    if not walk.stopped and (walk.count < 3 or (whole and not joblib_arrays)):
        raise _Bad(f"a truncated or corrupt pickle (no STOP after {walk.count} opcodes): loading it fails, not judged")
    if not sklearn:
        sklearn = _marker_version(data) or _marker_version(tail)
    if sklearn:
        return Artifact(rel, line, "sklearn", sklearn)
    cuda = sorted({s for s in strings if re.fullmatch(r"cuda(:\d+)?", s)})
    if torch and persistent:
        return Artifact(rel, line, "torch", detail=",".join(cuda))
    return None


def _marker_version(data: bytes) -> str:
    """``_sklearn_version`` found by a byte search (joblib mixes raw array bytes with opcodes): the opcode
    right after the key holds the version."""
    at = data.find(b"_sklearn_version")
    while at >= 0:
        start = at + len(b"_sklearn_version")
        start += data[start : start + 1] == b"\n"  # protocol 0: the key's line ends here
        for name, arg in _Walk(data, start, 4):
            if isinstance(arg, str) and re.fullmatch(r"\d+\.\d+[\w.+-]*", arg):
                return arg
            if name not in ("BINPUT", "LONG_BINPUT", "MEMOIZE", "PUT"):
                break
        at = data.find(b"_sklearn_version", at + 1)
    return ""


def _ubj_version(data: bytes) -> str:
    at = data.find(b"version")
    if at < 0:
        return ""
    pos = at + len(b"version")
    if data[pos : pos + 1] != b"[":
        return ""
    pos += 1
    fixed = b""
    if data[pos : pos + 1] == b"$":
        fixed, pos = data[pos + 1 : pos + 2], pos + 2
    sizes = {b"U": 1, b"i": 1, b"I": 2, b"l": 4, b"L": 8}
    if data[pos : pos + 1] == b"#":  # a count: its type, then the count (XGBoost writes `#L` and 8 bytes)
        pos += 2 + sizes.get(data[pos + 1 : pos + 2], 0)
    out: list[int] = []
    for _ in range(3):
        t = fixed
        if not t:
            t, pos = data[pos : pos + 1], pos + 1
        n = sizes.get(t)
        if n is None:
            return ""
        out.append(int.from_bytes(data[pos : pos + n], "big", signed=t != b"U"))
        pos += n
    return ".".join(map(str, out))


def _zip_entries(fd: int, size: int) -> int:
    """The entry count of a zip's end-of-central-directory record, read before zipfile reads the directory."""
    tail = os.pread(fd, min(size, 65_557), max(0, size - 65_557))
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise _Bad("a zip without its central directory (truncated): not judged")
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    if entries == 0xFFFF:  # zip64: the real count is elsewhere; zipfile would read it
        entries = MAX_ZIP_ENTRIES + 1
    return entries


def _zip(fd: int, size: int, rel: str, line: int) -> Artifact | None:
    import zipfile

    if _zip_entries(fd, size) > MAX_ZIP_ENTRIES:
        raise _Bad(f"a zip of more than {MAX_ZIP_ENTRIES} entries: not read")
    with os.fdopen(os.dup(fd), "rb") as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
            raise _Bad(f"not a readable zip ({exc}): not judged") from None
        with zf:
            names = zf.namelist()
            data_pkl = next((n for n in names if n.endswith("data.pkl")), None)
            if data_pkl is not None:
                data = _member(zf, data_pkl)
                found = _pickle(data, b"", rel, line, torch=True)
                if found is not None and found.kind == "torch":
                    return found
                return found or Artifact(rel, line, "torch")
            if "metadata.json" in names and any(n.endswith((".weights.h5", "config.json")) for n in names):
                import json

                try:
                    meta = json.loads(_member(zf, "metadata.json").decode("utf-8", errors="replace"))
                except ValueError:
                    raise _Bad("metadata.json is not JSON: not judged") from None
                version = meta.get("keras_version", "") if isinstance(meta, dict) else ""
                return Artifact(rel, line, "keras", str(version))
    return None


def _member(zf: object, name: str) -> bytes:
    import zipfile

    assert isinstance(zf, zipfile.ZipFile)
    info = zf.getinfo(name)
    if info.file_size > MEMBER:
        raise _Bad(f"{name} is {info.file_size} bytes uncompressed (more than {MEMBER}): not read")
    if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_RATIO:
        raise _Bad(f"{name} inflates {info.file_size // max(info.compress_size, 1)}-fold (a zip bomb?): not read")
    with zf.open(info) as member:
        data = member.read(MEMBER + 1)
    if len(data) > MEMBER:
        raise _Bad(f"{name} inflates past {MEMBER} bytes: not read")
    return data
