"""Follow a Dockerfile into its build context: which files COPY/ADD send, which dependency files each
install reads (through WORKDIR, COPY destinations, ``cd`` and bind mounts), and which Python each stage runs."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reprocheck.model._value import valueclass
from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.dockerfile import (
    CopyInstruction,
    Dockerfile,
    FromInstruction,
    Instruction,
    RunInstruction,
    Stage,
)
from reprocheck.model.install import InstallCommand, SpecKind
from reprocheck.model.project import ContextFile, ImagePython, InstalledFile, Project
from reprocheck.model.shell import ShellCommand
from reprocheck.parsing.depfiles import guess_kind, parse_dependency_file

from . import files
from .dockerignore import DockerIgnore
from .files import DEFAULT_MAX_FILE_SIZE
from .needed import excluded_but_needed

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_DISTRO_PYTHON = {
    ("debian", "bookworm"): "3.11",
    ("debian", "12"): "3.11",
    ("debian", "bullseye"): "3.9",
    ("debian", "11"): "3.9",
    ("debian", "trixie"): "3.13",
    ("debian", "13"): "3.13",
    ("debian", "buster"): "3.7",
    ("debian", "10"): "3.7",
    ("ubuntu", "24.04"): "3.12",
    ("ubuntu", "noble"): "3.12",
    ("ubuntu", "22.04"): "3.10",
    ("ubuntu", "jammy"): "3.10",
    ("ubuntu", "20.04"): "3.8",
    ("ubuntu", "focal"): "3.8",
    ("ubuntu", "18.04"): "3.6",
    ("ubuntu", "bionic"): "3.6",
}


def display(path: Path) -> str:
    """A path as findings show it: relative to the working directory (``../`` when outside it, as the paths
    given on the command line are shown)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)
    return rel.replace(os.sep, "/")


class DepLoader:
    """Parses each dependency file once per run, whoever asks (discovery, a Dockerfile, a lock pair).

    Each file is read as hostile input (``files.read_file``): within ``root`` (the tree it was found in:
    the linted directory, or a Dockerfile's build context), a regular file, at most ``limit`` bytes. A file
    that cannot be read is remembered in ``unreadable`` (its shown name -> why), reported once by the run.

    ``shown_roots`` (the directories given on the command line, resolved, each with the prefix discovery
    shows before the paths of its files: ``discover.shown_roots``) name a file under them as discovery names
    it, whoever loads it first: one file has one name in a report (``/abs/tree/requirements.txt``, not also
    ``../../abs/tree/requirements.txt``), and the name does not depend on the order files are linted in."""

    def __init__(self, limit: int = DEFAULT_MAX_FILE_SIZE, shown_roots: Sequence[tuple[Path, str]] = ()) -> None:
        self.limit = limit
        self.shown_roots = [(str(root).rstrip(os.sep) + os.sep, prefix) for root, prefix in shown_roots]
        self.files: dict[Path, DependencyFile] = {}
        self.roots: dict[Path, Path | None] = {}  # each loaded file -> the tree its links and includes stay in
        self.unreadable: dict[str, str] = {}
        self._data: dict[str, bytes] = {}

    def name(self, path: Path) -> str:
        """How findings show a file or directory: as discovery does under a directory given on the command
        line, else relative to the working directory (``display``)."""
        if self.shown_roots:
            full = os.path.normpath(os.path.abspath(path))
            for base, prefix in self.shown_roots:
                if full.startswith(base):
                    return prefix + full[len(base) :].replace(os.sep, "/")
                if full + os.sep == base:  # the directory itself (a build context)
                    return prefix.rstrip("/") or prefix or "."
        return display(path)

    def load(
        self,
        path: Path,
        kind: DepKind | None = None,
        shown: str | None = None,
        root: Path | None = None,
        data: bytes | None = None,
    ) -> DependencyFile | None:
        real = files.real(path)
        if real is None:
            self._unreadable(shown or self.name(path), "cannot read: the file name is too long")
            return None
        if real in self.files:
            return self.files[real]
        return self._read(path, real, kind or guess_kind(path.name), shown or self.name(path), root, data)

    def _read(
        self, path: Path, real: Path, kind: DepKind, name: str, root: Path | None, data: bytes | None
    ) -> DependencyFile | None:
        """Read (unless ``data`` is given), parse as ``kind`` under ``name`` and keep a file not loaded yet."""
        if data is None:
            got = files.read_file(path, root, self.limit)
            if isinstance(got, files.Unreadable):
                self._unreadable(name, got.message)
                return None
            data = got
        parsed = parse_dependency_file(data, name, kind)
        self.files[real] = parsed
        self.roots[real] = root
        if b"reprocheck" in data:
            self._data[name] = data
        return parsed

    def _unreadable(self, name: str, message: str) -> None:
        self.unreadable.setdefault(name, message)

    def texts(self) -> dict[str, str]:
        """Texts of the loaded files that mention reprocheck (the only ones that can hold a pragma)."""
        return {k: v.decode("utf-8", errors="replace") for k, v in self._data.items()}


# ---- build context


def _local_sources(df: Dockerfile) -> Iterator[tuple[CopyInstruction, str]]:
    for ins in df.instructions:
        if isinstance(ins, CopyInstruction) and not ins.from_stage and not ins.onbuild:
            for src in ins.sources:
                if not src.startswith("<<") and not _URL.match(src) and not src.startswith("git@") and "$" not in src:
                    yield ins, src


def _exists(context: Path, src: str) -> bool:
    rel = src.lstrip("/")
    if rel in ("", "."):
        return True
    if any(ch in rel for ch in "*?["):
        return bool(_glob(context, rel))
    return files.exists(context / rel)


def choose_context(dockerfile: Path, df: Dockerfile, limit: Path | None) -> tuple[Path, bool]:
    """The directory the image is most likely built from: of the Dockerfile's directory and its parents (up to
    ``limit`` or the repository root), the one where most COPY sources exist; the nearest wins ties."""
    sources = [src for _, src in _local_sources(df)]
    start = dockerfile.resolve().parent
    if not sources:
        return start, False
    best, best_hits = start, -1
    for candidate in (start, *start.parents):
        hits = sum(1 for s in sources if _exists(candidate, s))
        if hits > best_hits:
            best, best_hits = candidate, hits
        if files.exists(candidate / ".git") or (limit is not None and candidate == limit) or len(candidate.parts) <= 2:
            break
    return best, best_hits > 0


def _glob(context: Path, pattern: str) -> list[str]:
    """``glob`` of a COPY source inside the context; a pattern leaving it (``../*``) matches nothing."""
    if ".." in pattern.split("/"):
        return []
    try:
        import glob

        return glob.glob(str(context / pattern))
    except (OSError, ValueError):
        return []


# ---- the image file system, as far as COPY tells


@dataclass
class _ImageFS:
    maps: list[tuple[str, str, bool]] = field(default_factory=list)  # (image path, context path, is dir)
    workdir: str = "/"
    dirs: set[str] = field(default_factory=lambda: {"/"})  # directories known to exist (WORKDIRs, copied dirs)

    def copy(self, context: Path, sources: list[str], dest: str) -> None:
        dest_abs = dest if dest.startswith("/") else posixpath.join(self.workdir, dest)
        expanded: list[str] = []
        for src in sources:
            rel = src.lstrip("/")
            if any(ch in rel for ch in "*?["):
                expanded.extend(os.path.relpath(p, context) for p in sorted(_glob(context, rel)))
            else:
                expanded.append(posixpath.normpath(rel) if rel not in ("", ".") else ".")
        dest_abs = posixpath.normpath(dest_abs)
        # COPY into an existing directory (WORKDIR, ".", a copied directory) puts the file inside it
        multi = len(expanded) > 1 or dest.endswith(("/", "/.")) or dest in (".", "..") or dest_abs in self.dirs
        for rel in expanded:
            is_dir = rel == "." or files.is_dir(context / rel)
            if is_dir:
                self.maps.append((dest_abs, "" if rel == "." else rel, True))
                self.dirs.add(dest_abs)
            elif multi:
                self.maps.append((posixpath.join(dest_abs, posixpath.basename(rel)), rel, False))
            else:
                self.maps.append((dest_abs, rel, False))

    def resolve(self, image_path: str) -> str | None:
        """The context path that ``image_path`` came from, when a COPY put it there."""
        path = posixpath.normpath(image_path)
        for img, ctx, is_dir in reversed(self.maps):
            if path == img:
                return ctx or "."
            if is_dir and (img == "/" or path.startswith(img.rstrip("/") + "/")):
                rest = path[len(img.rstrip("/")) + 1 :]
                return posixpath.join(ctx, rest) if ctx else rest
        return None

    def fork(self) -> _ImageFS:
        return _ImageFS(list(self.maps), self.workdir, set(self.dirs))


# ---- Python of a stage


def _python_from_image(ins: FromInstruction) -> ImagePython | None:
    image = ins.image
    repo = image.repository.rsplit("/", 1)[-1]
    tag = image.tag or ""
    if repo in ("python", "pypy"):
        m = re.match(r"(\d+\.\d+(?:\.\d+)?)", tag)
        if m:
            return ImagePython(m.group(1), f"base image `{image.raw}`", ins.line)
        return None
    m = re.search(r"(?:^|[-_.])py(?:thon)?-?(3)\.?(\d{1,2})(?=$|[-_.])", tag)
    if m:
        return ImagePython(f"{m.group(1)}.{m.group(2)}", f"base image tag `{tag}`", ins.line)
    return None


def base_python(df: Dockerfile, stage: int) -> ImagePython | None:
    """The Python a stage's base image names (``python:3.9-slim``, a ``-py310`` tag), following ``FROM
    <earlier stage>`` to its base; None when the image does not say."""
    seen: set[int] = set()
    while 0 <= stage < len(df.stages) and stage not in seen:
        seen.add(stage)
        parent = df.stages[stage].parent
        if parent is None:
            first = next((i for i in df.in_stage(stage) if isinstance(i, FromInstruction)), None)
            return _python_from_image(first) if first is not None else None
        stage = parent
    return None


def _distro_python(image_raw: str, repo: str, tag: str, line: int) -> ImagePython | None:
    base = repo.rsplit("/", 1)[-1]
    for (distro, release), version in _DISTRO_PYTHON.items():
        if base == distro and (tag == release or tag.startswith(release + "-") or tag.startswith(release + ".")):
            return ImagePython(version, f"`python3` of {image_raw}", line)
        if distro == "ubuntu" and re.search(rf"ubuntu{re.escape(release)}$|ubuntu{re.escape(release)}[-_.]", tag):
            return ImagePython(version, f"`python3` of Ubuntu {release} in {image_raw}", line)
    return None


def _python_from_command(cmd: InstallCommand) -> str | None:
    if cmd.manager == "conda":
        for p in cmd.packages:
            if p.name == "python" and p.version:
                return p.version
    if cmd.manager == "apt":
        for p in cmd.packages:
            m = re.fullmatch(r"python(3\.\d+)(?:-venv|-dev|-full)?", p.name)
            if m:
                return m.group(1)
    return None


# ---- installs


@valueclass(slots=True)
class _Ref:
    role: str
    image_path: str
    lock_name: str | None = None  # for project installs: the lock next to pyproject.toml


def _refs(inst: InstallCommand, cwd: str) -> list[_Ref]:
    def at(p: str) -> str:
        return posixpath.normpath(p if p.startswith("/") else posixpath.join(cwd, p))

    out: list[_Ref] = []
    if inst.manager == "pip" and inst.action in ("install", "sync", "compile"):
        out += [_Ref("requirements", at(r)) for r in inst.requirement_files if not _URL.match(r)]
        out += [_Ref("constraints", at(c)) for c in inst.constraint_files if not _URL.match(c)]
        if inst.action == "sync" and inst.tool == "uv pip":
            out += [_Ref("requirements", at(p.raw)) for p in inst.packages if p.kind is SpecKind.PATH]
        for p in inst.packages:
            if p.kind is SpecKind.PATH and not p.raw.endswith((".whl", ".tar.gz", ".zip")) and inst.action == "install":
                target = p.raw.split("[", 1)[0]
                out.append(_Ref("project", at(posixpath.join(target, "pyproject.toml"))))
    elif inst.manager == "pip-tools" and inst.action == "sync":
        out += [_Ref("requirements", at(a)) for a in inst.command.args if not a.startswith("-")]
    elif inst.manager == "uv" and inst.action in ("sync", "run"):
        out.append(_Ref("project", at("pyproject.toml"), "uv.lock"))
    elif inst.manager == "poetry" and inst.action in ("install", "sync"):
        out.append(_Ref("project", at("pyproject.toml"), "poetry.lock"))
    elif inst.manager == "pipenv" and inst.action in ("install", "sync"):
        out.append(_Ref("pipfile", at("Pipfile"), "Pipfile.lock"))
    elif inst.manager == "conda":
        out += [_Ref("environment", at(f)) for f in inst.requirement_files if not _URL.match(f)]
    return out


def _cwds(run: RunInstruction, workdir: str) -> dict[int, str]:
    """For each command of a RUN (by id), the WORKDIR moved by the ``cd`` commands that run before it."""
    out: dict[int, str] = {}
    cwd = workdir
    for c in run.commands:
        out.setdefault(id(c), cwd)
        if c.name == "cd" and len(c.argv) > 1 and "$" not in c.argv[1] and c.argv[1] != "-":
            target = c.argv[1]
            cwd = posixpath.normpath(target if target.startswith("/") else posixpath.join(cwd, target))
    return out


def _texts(stage_texts: list[str], run: RunInstruction, cmd: ShellCommand) -> Callable[[], list[str]]:
    """Text of the commands that ran before an install in the stage (they may have written the file it
    reads), made only when asked: building it for every install would cost quadratic time."""

    def make() -> list[str]:
        return [
            *stage_texts,
            *(" ".join(c.argv) + " " + " ".join(r.target for r in c.redirects) for c in run.commands if c is not cmd),
        ]

    return make


def _mounts(run: RunInstruction) -> list[tuple[str, str]]:
    """(target, source) of each ``--mount=type=bind`` from the build context."""
    out: list[tuple[str, str]] = []
    for spec in run.flags.get("mount", "").splitlines():
        fields = dict(part.split("=", 1) for part in spec.split(",") if "=" in part)
        if "from" in fields or fields.get("type", "bind") != "bind":
            continue
        target = fields.get("target") or fields.get("dst") or fields.get("destination")
        if target:
            out.append((target, fields.get("source") or fields.get("src") or "."))
    return out


def _is_directory(context: Path, src: str) -> bool:
    rel = src.strip("/")
    if rel in ("", "."):
        return True
    path = context / rel
    return not any(ch in rel for ch in "*?[") and path.is_dir() and not path.is_symlink()


def build_project(
    df: Dockerfile, dockerfile_path: Path, loader: DepLoader, limit: Path | None = None, platform: str = "linux/amd64"
) -> Project:
    context, known = choose_context(dockerfile_path, df, limit)
    ignore = DockerIgnore.for_context(context, dockerfile_path)
    copies: list[ContextFile] = []
    if known:
        for copy_ins, src in _local_sources(df):
            exists = _exists(context, src)
            if not exists and not files.is_dir(context / posixpath.dirname(src.lstrip("/").rstrip("/"))):
                continue  # a whole directory is absent: more likely another context than a typo; not judged
            pattern = ignore.excluded_by(src.lstrip("/")) if exists and src not in (".", "./") else None
            copies.append(ContextFile(copy_ins.line, src, exists, ignore.describe(pattern) if pattern else None))
            if exists and pattern is None and ignore.patterns and _is_directory(context, src):
                copies.extend(
                    ContextFile(copy_ins.line, n.path, True, ignore.describe(n.pattern), src, n.named_by, n.reached)
                    for n in excluded_but_needed(context, ignore, src)
                )
    installed: list[InstalledFile] = []
    stage_fs: dict[int, _ImageFS] = {}
    stage_python: dict[int, ImagePython | None] = {}
    stage_platform: dict[int, tuple[str, str]] = {}
    stage_texts: dict[int, list[str]] = {}
    roots: dict[int, Stage] = {}
    for ins in df.instructions:
        if ins.onbuild:
            continue
        if isinstance(ins, FromInstruction):
            parent = df.stages[ins.stage].parent if 0 <= ins.stage < len(df.stages) else None
            stage_fs[ins.stage] = stage_fs[parent].fork() if parent is not None and parent in stage_fs else _ImageFS()
            stage_python[ins.stage] = stage_python.get(parent) if parent is not None else _python_from_image(ins)
            plat = (ins.platform or "").lower()
            arch = "linux/arm64" if plat.endswith(("arm64", "aarch64")) else platform
            libc = "musl" if "alpine" in ins.image.raw else "glibc"
            stage_platform[ins.stage] = stage_platform.get(parent, (arch, libc)) if parent is not None else (arch, libc)
            continue
        fs = stage_fs.setdefault(ins.stage, _ImageFS())
        _apply(ins, fs, context)
        if not isinstance(ins, RunInstruction):
            continue
        root = _root_stage(df, ins.stage, roots)
        for inst in ins.installs:
            version = _python_from_command(inst)
            if version and (inst.manager == "conda" or stage_python.get(ins.stage) is None):
                stage_python[ins.stage] = ImagePython(version, f"`{inst.command.text(50)}`", ins.line)
            elif (
                inst.manager == "apt"
                and stage_python.get(ins.stage) is None
                and root is not None
                and any(p.name == "python3" for p in inst.packages)
            ):
                image = root.image
                stage_python[ins.stage] = _distro_python(image.raw, image.repository, image.tag or "", ins.line)
        mounts = _mounts(ins)
        cwds = _cwds(ins, fs.workdir) if ins.installs else {}
        for inst in ins.installs:
            cwd = cwds.get(id(inst.command), fs.workdir)
            earlier = _texts(stage_texts.setdefault(ins.stage, []), ins, inst.command)
            python, target = stage_python.get(ins.stage), stage_platform.get(ins.stage, (platform, "glibc"))
            installed.extend(
                _resolve(ref, inst, ins, fs, mounts, context, ignore, loader, python, target, earlier)
                for ref in _refs(inst, cwd)
            )
        stage_texts.setdefault(ins.stage, []).append(ins.script or " ".join(ins.argv))
    return Project(df, loader.name(context), known, tuple(copies), tuple(installed), str(context))


def _root_stage(df: Dockerfile, index: int, memo: dict[int, Stage]) -> Stage | None:
    """The stage whose FROM names an external image, following stage references (``memo`` keeps a chain
    of 10,000 stages, each built on the one before, linear)."""
    if not 0 <= index < len(df.stages):
        return None
    chain: list[int] = []
    stage = df.stages[index]
    while stage.parent is not None and stage.index not in memo:
        chain.append(stage.index)
        stage = df.stages[stage.parent]
    root = memo.get(stage.index, stage)
    for k in chain:
        memo[k] = root
    return root


def _apply(ins: Instruction, fs: _ImageFS, context: Path) -> None:
    if ins.keyword == "WORKDIR":
        target = ins.value.strip().strip("\"'")
        if target and "$" not in target:
            fs.workdir = posixpath.normpath(target if target.startswith("/") else posixpath.join(fs.workdir, target))
            fs.dirs.add(fs.workdir)
    elif isinstance(ins, CopyInstruction) and not ins.from_stage:
        local = [s for s in ins.sources if not s.startswith("<<") and not _URL.match(s) and "$" not in s]
        if local and "$" not in ins.dest:
            fs.copy(context, local, ins.dest)


def _written_in_image(run_texts: Callable[[], list[str]], name: str) -> bool:
    return any(name in text for text in run_texts())


def _resolve(
    ref: _Ref,
    inst: InstallCommand,
    run: RunInstruction,
    fs: _ImageFS,
    mounts: list[tuple[str, str]],
    context: Path,
    ignore: DockerIgnore,
    loader: DepLoader,
    python: ImagePython | None,
    platform: tuple[str, str],
    run_texts: Callable[[], list[str]],
) -> InstalledFile:
    scratch = fs.fork()
    for target, source in mounts:
        is_dir = files.is_dir(context / source.lstrip("/")) if source not in (".", "") else True
        scratch.maps.append(
            (
                posixpath.normpath(target if target.startswith("/") else posixpath.join(fs.workdir, target)),
                "" if source in (".", "") else source.lstrip("/"),
                is_dir,
            )
        )
    base = InstalledFile(
        run.line, inst, ref.role, ref.image_path, python=python, platform=platform[0], libc=platform[1]
    )
    ctx_rel = scratch.resolve(ref.image_path)
    if ctx_rel is None:
        return base  # no COPY puts it there: it may come from the base image; nothing to judge
    path = context / ctx_rel
    pattern = ignore.excluded_by(ctx_rel)
    if pattern is not None:
        return _replace(base, reason=f"excluded from the build context by {ignore.describe(pattern)}")
    if not files.exists(path) or files.is_dir(path):
        if ref.role == "project":  # pip install . of a setup.py project: nothing to follow, nothing wrong
            return base
        if not files.is_dir(path.parent) or _written_in_image(run_texts, posixpath.basename(ctx_rel)):
            return base  # made inside the image (poetry export -o, pip freeze >) or another context: not judged
        return _replace(base, reason=f"the build context has no `{ctx_rel}`")
    kind = {"project": DepKind.PYPROJECT, "pipfile": DepKind.PIPFILE}.get(ref.role)
    if ref.role == "environment":  # conda --file: an environment.yml, an @EXPLICIT list, or a list of specs
        kind = DepKind.CONDA_ENV if ctx_rel.endswith((".yml", ".yaml")) else DepKind.CONDA_LOCK
    parsed = loader.load(path, kind, root=context)
    lock = None
    if ref.lock_name:
        lock_rel = posixpath.join(posixpath.dirname(ctx_rel), ref.lock_name)
        lock_image = posixpath.join(posixpath.dirname(ref.image_path), ref.lock_name)
        if (
            scratch.resolve(lock_image) is not None
            and files.exists(context / lock_rel)
            and ignore.excluded_by(lock_rel) is None
        ):
            lock = loader.load(context / lock_rel, root=context)
    return _replace(base, path=loader.name(path), file=parsed, lock=lock)


def _replace(base: InstalledFile, **changes: object) -> InstalledFile:
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]
