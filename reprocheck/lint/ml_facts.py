"""What the ML rules judge, gathered once per Dockerfile (``MlProject``): the stages with their OS packages,
ENV and USER, the Python distributions each stage installs, and, when the image gets an ML library, the calls in
the Python code it copies and the model artifacts it copies (read by ``ml_scan``, never executed).

Everything here is cheap unless the image installs something the ML tables know: the code and artifact scan
(a bounded walk of the copied part of the build context) only starts then, so a one-file lint of a plain
Python image costs what it cost before."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

from reprocheck.model.deps import DependencyFile, DepKind
from reprocheck.model.dockerfile import (
    CopyInstruction,
    Dockerfile,
    KeyValueInstruction,
    RunInstruction,
)
from reprocheck.model.install import SpecKind
from reprocheck.model.ml import MlPackage, MlProject, MlStage
from reprocheck.model.names import canonical
from reprocheck.model.project import Project

OS_MANAGERS = ("apt", "apk", "rpm", "zypper")
# libraries whose presence makes the code and artifact scan worth its walk
_SCAN_TRIGGERS = frozenset(
    {
        "torch",
        "transformers",
        "diffusers",
        "sentence-transformers",
        "huggingface-hub",
        "timm",
        "torchvision",
        "spacy",
        "nltk",
        "openai-whisper",
        "ultralytics",
        "scikit-learn",
        "xgboost",
        "lightgbm",
        "keras",
        "tensorflow",
        "tensorflow-cpu",
        "joblib",
        "faster-whisper",
        "open-clip-torch",
        "onnxruntime",
        "onnxruntime-gpu",
        "safetensors",
        "tensorflow-gpu",
    }
)


def _stage_of(df: Dockerfile) -> dict[int, int]:
    return {ins.line: ins.stage for ins in df.instructions}


def _chain(df: Dockerfile, index: int) -> list[int]:
    """``index`` and the stages it builds on, nearest first."""
    out: list[int] = []
    while 0 <= index < len(df.stages) and index not in out:
        out.append(index)
        parent = df.stages[index].parent
        if parent is None:
            break
        index = parent
    return out


def _stage_index(df: Dockerfile, ref: str) -> int | None:
    for s in df.stages:
        if (s.alias and s.alias.lower() == ref.lower()) or str(s.index) == ref:
            return s.index
    return None


def _stages(df: Dockerfile, target: str | None) -> list[MlStage]:
    if not df.stages:
        return []
    final = df.final_stage(target)
    final_chain = set(_chain(df, final))
    feeds: set[int] = set()
    todo = list(final_chain)
    while todo:
        s = todo.pop()
        for ins in df.in_stage(s):
            if isinstance(ins, CopyInstruction) and ins.from_stage and ins.from_image is None:
                idx = _stage_index(df, ins.from_stage)
                if idx is not None:
                    for c in _chain(df, idx):
                        if c not in final_chain and c not in feeds:
                            feeds.add(c)
                            todo.append(c)
    out: list[MlStage] = []
    for stage in df.stages:
        chain = list(reversed(_chain(df, stage.index)))
        root = df.stages[chain[0]]
        os_pkgs: list[str] = []
        env: dict[str, str] = {}
        env_lines: dict[str, int] = {}
        user: str | None = None
        user_line = 0
        runs: list[tuple[int, str]] = []
        copied: list[str] = []
        for s in chain:
            for ins in df.in_stage(s):
                if ins.onbuild:
                    continue
                if isinstance(ins, RunInstruction):
                    runs.append((ins.line, ins.script or " ".join(ins.argv)))
                    for inst in ins.installs:
                        if inst.manager in OS_MANAGERS and inst.action == "install":
                            os_pkgs.extend(p.name.split("=", 1)[0] for p in inst.packages)
                elif isinstance(ins, KeyValueInstruction) and ins.keyword == "ENV":
                    for k, v in ins.pairs:
                        env[k] = v or ""
                        env_lines[k] = ins.line
                elif isinstance(ins, CopyInstruction) and (ins.from_stage or ins.from_image is not None):
                    copied.extend(p.rstrip("/").rsplit("/", 1)[-1] for p in (*ins.sources, ins.dest) if p)
                elif ins.keyword == "USER":
                    user, user_line = ins.value.strip().split(":", 1)[0] or None, ins.line
        out.append(
            MlStage(
                stage.index,
                root.image,
                root.line,
                stage.index in final_chain,
                stage.index in feeds,
                tuple(os_pkgs),
                env,
                env_lines,
                user,
                user_line,
                tuple(runs),
                tuple(copied),
            )
        )
    return out


def _variant(version: str) -> tuple[str, str]:
    base, _, local = version.partition("+")
    return base, local.lower()


def _index_of(options: tuple[str, ...]) -> str:
    return options[0] if options else ""


def _requirers(f: DependencyFile) -> dict[str, str]:
    """For a lock with edges: package -> one package that depends on it."""
    out: dict[str, str] = {}
    for p in f.locked:
        for e in p.dependencies:
            out.setdefault(canonical(e.name), p.name)
    return out


@cache
def _applies_on_linux(marker: str | None) -> bool:
    if not marker:
        return True
    low = marker.lower()
    if "win" not in low and "darwin" not in low and "linux" not in low:
        return True
    from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

    try:
        return Marker(marker).evaluate({"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"})
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return True


def _from_lock(lock: DependencyFile, direct: set[str], stage: int, line: int, index: str) -> Iterator[MlPackage]:
    requirers = _requirers(lock)
    for p in lock.locked:
        if not _applies_on_linux(p.marker) or p.source in ("virtual", "editable", "directory"):
            continue
        name = canonical(p.name)
        base, local = _variant(p.version)
        via = "" if (name in direct or not direct) else requirers.get(name, "")
        yield MlPackage(name, base, lock.path, p.line, stage, line, local, index, via, bool(p.hashes or p.files))


def _via_comments(text: str) -> dict[int, str]:
    """pip-compile's ``# via X`` after a requirement line: line of the requirement -> the first requirer."""
    out: dict[int, str] = {}
    req_line = 0
    lines = text.splitlines()
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if s and not s.startswith("#"):
            req_line = i
            continue
        m = re.match(r"#\s+via\s*(\S*)", s)
        if m and req_line:
            who = m.group(1)
            if not who and i < len(lines):
                nxt = re.match(r"#\s+(\S+)", lines[i].strip())
                who = nxt.group(1) if nxt else ""
            if who and not who.startswith(("-r", "-c")):
                out.setdefault(req_line, who)
    return out


def _run_texts(df: Dockerfile) -> list[tuple[int, str]]:
    return [(i.line, i.script or " ".join(i.argv)) for i in df.instructions if isinstance(i, RunInstruction)]


def _edited_out(text: str, name: str) -> bool:
    """The install's RUN deletes the requirement first (``sed -i '/opencv-python/d'``, ``grep -v torch``)."""
    if name not in text:
        return False
    n = re.escape(name)
    return re.search(rf"sed\s[^;&|]*/\^?{n}[^/]*/d|grep\s+-\w*v\w*\s+[\"']?\^?{n}", text) is not None


def _wants_via(f: DependencyFile) -> bool:
    """Whether requirers matter for this file (only then is its text read again): two entries the
    exclusive-groups table may pair, or one the system-library table names."""
    from reprocheck.knowledge import mentions

    names = [canonical(d.name) for d in f.dependencies]
    return sum(1 for n in names if mentions("exclusive_groups", n)) >= 2 or any(
        mentions("system_libs", n) for n in names
    )


def packages(project: Project, read_text: ReadText | None = None) -> list[MlPackage]:
    df = project.dockerfile
    stage_of = _stage_of(df)
    out: list[MlPackage] = []
    seen_files: set[tuple[int, str]] = set()
    run_texts = dict(_run_texts(df))
    for item in project.installed:
        stage = stage_of.get(item.line, -1)
        index = _index_of(item.install.values("--index-url", "-i", "--extra-index-url"))
        f = item.lock or item.file
        if f is None or (stage, f.path) in seen_files:
            continue
        seen_files.add((stage, f.path))
        if item.lock is not None or f.kind.is_lock:
            direct = (
                {canonical(d.name) for d in item.file.dependencies}
                if item.file is not None and item.lock is not None
                else set()
            )
            out.extend(_from_lock(f, direct, stage, item.line, index))
            continue
        if f.kind not in (DepKind.REQUIREMENTS, DepKind.REQUIREMENTS_IN, DepKind.PYPROJECT):
            continue
        file_index = next((o.value for o in f.options if o.name in ("--index-url", "-i", "--extra-index-url")), "")
        via = _via_comments(read_text(f.path)) if read_text is not None and f.generator and _wants_via(f) else {}
        run_text = run_texts.get(item.line, "")
        for d in f.dependencies:
            if d.group or not _applies_on_linux(d.marker) or d.spec.kind is not SpecKind.NAME:
                continue
            if _edited_out(run_text, d.name):
                continue
            base, local = _variant(d.spec.version or "")
            out.append(
                MlPackage(
                    canonical(d.name),
                    base,
                    f.path,
                    d.line,
                    stage,
                    item.line,
                    local,
                    index or file_index,
                    via.get(d.line, ""),
                    bool(d.hashes),
                )
            )
    removed: list[tuple[int, int, set[str]]] = []  # (stage, line, names) of each pip uninstall
    for ins in df.instructions:
        if not isinstance(ins, RunInstruction) or ins.onbuild:
            continue
        for inst in ins.installs:
            if inst.manager == "pip" and inst.action == "uninstall":
                removed.append((ins.stage, ins.line, {canonical(p.name) for p in inst.packages}))
            if inst.manager != "pip" or inst.action != "install":
                continue
            index = _index_of(inst.values("--index-url", "-i", "--extra-index-url"))
            for p in inst.packages:
                if p.kind is SpecKind.NAME:
                    base, local = _variant(p.version or "")
                    out.append(MlPackage(canonical(p.name), base, df.path, ins.line, ins.stage, ins.line, local, index))
                elif p.kind is SpecKind.URL or p.kind is SpecKind.VCS:
                    out.append(MlPackage(canonical(p.name), "", df.path, ins.line, ins.stage, ins.line, "url", p.raw))
    for stage, line, names in removed:  # `pip uninstall x` after x was installed, in its stage or one built on it
        chain = set(_chain(df, stage))
        out = [p for p in out if not (p.name in names and p.stage in chain and p.install_line < line)]
    return out


class ReadText:
    """Reads a dependency file's text again (bounded), for pip-compile's ``# via`` comments."""

    def __init__(self, files_by_name: Callable[[], dict[str, Path]], root: Path | None) -> None:
        self.files_by_name = files_by_name  # asked only when a text is wanted (rarely)
        self.root = root

    def __call__(self, shown: str) -> str:
        from . import files

        path = self.files_by_name().get(shown)
        if path is None:
            return ""
        data = files.read_file(path, self.root, 4 * 1024 * 1024)
        return "" if isinstance(data, files.Unreadable) else data.decode("utf-8", errors="replace")


def wants_scan(pkgs: list[MlPackage]) -> bool:
    return any(p.name in _SCAN_TRIGGERS for p in pkgs)


def build_ml_project(
    project: Project,
    context: Path | None,
    read_text: ReadText | None = None,
    target: str | None = None,
    platform: str = "linux/amd64",
    cache: dict[object, list[tuple[str, int]]] | None = None,
) -> MlProject:
    stages = _stages(project.dockerfile, target)
    pkgs = packages(project, read_text)
    into = {s.index for s in stages if s.final or s.feeds}
    calls: tuple[object, ...] = ()
    artifacts: tuple[object, ...] = ()
    listed: frozenset[str] = frozenset()
    if context is not None and project.context_known:
        from .ml_scan import scan

        got = scan(project, context, stages, wants_scan([p for p in pkgs if p.stage in into]), cache)
        calls, artifacts, listed = got
    return MlProject(project, tuple(stages), tuple(pkgs), calls, artifacts, listed, platform)  # type: ignore[arg-type]
