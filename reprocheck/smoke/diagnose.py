"""The diagnosis of a failed smoke run, as a pipeline (issue 25):

1. extract the resources the failure names (``differential.extract``: modules, libraries, executables, files,
   variables, uids, the script's interpreter);
2. gather the same facts on both sides: the probe's ``facts`` of the host and of the image (smoke/facts.py runs
   it, once per side), the two environment records, the .dockerignore verdicts;
3. rank the causes every fact source finds (``differential.gather``/``rank``), the recognisers of known messages
   (smoke/explain.py, and the record comparisons below: timezone, hash order, locale, versions...) being one
   input among others;
4. explain: the likeliest cause with both sides' facts, its fix, and how sure it is (observed, or inferred from a
   message), or that no fact explains it.

Pure: plain data in (records are the probe's JSON documents, see reprocheck/envprobe.py), a ``Diagnosis`` out.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reprocheck.envprobe import packages
from reprocheck.model.names import canonical
from reprocheck.model.rule import RuleMeta
from reprocheck.rules.runtime import DIFFERS, NOT_DETERMINISTIC
from reprocheck.smoke.compare import Pattern, classify, generalise
from reprocheck.smoke.differential import (
    INFERRED,
    OBSERVED,
    Cause,
    Evidence,
    Production,
    Resources,
    extract,
    gather,
    rank,
)
from reprocheck.smoke.explain import Explanation

NO_FACT = "no fact found explains it"

# tools that differ between any two environments and never change a prediction
_TOOLING = {"pip", "setuptools", "wheel", "distribute", "pkg-resources"}
# import names that are not their distribution's name
_MODULE_ALIASES = {
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "skimage": "scikit-image",
    "dateutil": "python-dateutil",
    "jwt": "pyjwt",
    "google": "protobuf",
    "attr": "attrs",
    "dotenv": "python-dotenv",
    "jose": "python-jose",
    "multipart": "python-multipart",
    "magic": "python-magic",
}
MAX_PACKAGES = 8


@dataclass(frozen=True)
class PackageDifference:
    name: str
    host: str | None  # None: not installed there
    image: str | None
    required_by: tuple[str, ...] = ()  # in the image (else on the host): who pulls it in
    installer: str = ""  # the image's INSTALLER (pip, uv, conda...)

    def describe(self) -> str:
        text = f"{self.name} {self.host or 'absent'} on the host, {self.image or 'absent'} in the image"
        who = []
        if self.installer:
            who.append(f"installed by {self.installer}")
        if self.required_by:
            who.append("required by " + ", ".join(self.required_by))
        return text + (f" ({'; '.join(who)})" if who else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "image": self.image,
            "required_by": list(self.required_by),
            "installer": self.installer,
        }


@dataclass(frozen=True)
class FileFacts:
    """What the runner found out about a file the prediction did not find."""

    path: str  # as the program named it
    workdir: str = ""  # the image's working directory
    in_context: bool = False  # the project (the build context) has it
    ignored_by: tuple[int, str] | None = None  # (.dockerignore line, pattern) that excludes it
    found: tuple[str, ...] = ()  # where the image has a file of that name


@dataclass(frozen=True)
class Probed:
    """What the differential probe saw (step 2): each side's ``facts`` and what the project itself says."""

    host: Mapping[str, Any] = field(default_factory=dict)  # the host probe's ``facts`` ({}: it did not run)
    image: Mapping[str, Any] = field(default_factory=dict)  # the image probe's ``facts``
    command: tuple[str, ...] = ()
    production: Production = field(default_factory=Production)
    code_reads: Mapping[str, str] = field(default_factory=dict)  # variable -> where the project's code reads it
    host_files: Mapping[str, str] = field(default_factory=dict)  # file the code names -> sha256 in the project


@dataclass(frozen=True)
class Diagnosis:
    rule: RuleMeta  # CRASHED ... NOT_DETERMINISTIC
    cause: str
    hint: str
    evidence: tuple[str, ...]
    details: Mapping[str, Any] = field(default_factory=dict)
    certainty: str = INFERRED  # OBSERVED (a fact on both sides), INFERRED (a message), or NO_FACT

    @property
    def headline(self) -> str:
        return self.cause


# ---- facts from the two records


def package_differences(host: Mapping[str, Any] | None, image: Mapping[str, Any] | None) -> list[PackageDifference]:
    """Distributions whose version differs (or that one side lacks), the prediction-relevant ones first: both
    installed with other versions, then only in the image, then only on the host; packaging tools last."""
    if not host or not image:
        return []
    a, b = packages(host), packages(image)
    if not a or not b:
        return []
    if not isinstance(host.get("distributions"), Mapping):  # an old record: only the lock's names
        b = {k: v for k, v in b.items() if k in a}
    graph = _requirers(image) or {}
    host_graph = _requirers(host) or {}
    dists = image.get("distributions") if isinstance(image.get("distributions"), Mapping) else {}
    out = []
    for name in sorted(set(a) | set(b)):
        va, vb = a.get(name) or None, b.get(name) or None
        if va == vb:
            continue
        info = dists.get(name, {}) if isinstance(dists, Mapping) else {}
        installer = str(info.get("installer", "")) if isinstance(info, Mapping) else ""
        by = tuple(graph.get(name, ())) or tuple(host_graph.get(name, ()))
        out.append(PackageDifference(name, va, vb, by, installer))

    def rank(d: PackageDifference) -> tuple[int, str]:
        if d.name in _TOOLING:
            return (3, d.name)
        return (0 if d.host and d.image else 1 if d.image else 2, d.name)

    return sorted(out, key=rank)


def _requirers(record: Mapping[str, Any]) -> dict[str, list[str]]:
    dists = record.get("distributions")
    out: dict[str, list[str]] = {}
    if not isinstance(dists, Mapping):
        return out
    for name, info in dists.items():
        for dep in info.get("requires", []) if isinstance(info, Mapping) else []:
            out.setdefault(canonical(str(dep)), []).append(str(name))
    return {k: sorted(v) for k, v in out.items()}


def _dig(record: Mapping[str, Any] | None, *keys: str) -> Any:
    cur: Any = record
    for key in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def _zone(record: Mapping[str, Any] | None) -> tuple[str, int | None]:
    zone = _dig(record, "timezone", "zone") or "unknown"
    offset = _dig(record, "timezone", "utc_offset_seconds")
    return str(zone), offset if isinstance(offset, int) else None


def _utc(offset: int | None) -> str:
    if offset is None:
        return "offset unknown"
    sign = "+" if offset >= 0 else "-"
    h, m = divmod(abs(offset) // 60, 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def _env(record: Mapping[str, Any] | None) -> Mapping[str, Any]:
    env = _dig(record, "environment")
    return env if isinstance(env, Mapping) else {}


def module_owner(module: str, record: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(distribution, version) that provides ``module`` according to a record, else None."""
    dists = _dig(record, "distributions")
    top = module.split(".")[0]
    if isinstance(dists, Mapping):
        for name, info in dists.items():
            if isinstance(info, Mapping) and top in (info.get("modules") or ()):
                return str(name), str(info.get("version", ""))
    pkgs = packages(record) if record else {}
    for guess in (_MODULE_ALIASES.get(top), canonical(top), canonical(f"python-{top}"), canonical(f"py{top}")):
        if guess and guess in pkgs:
            return guess, pkgs[guess]
    return None


# ---- the diagnosis


def diagnose(
    host: Mapping[str, Any] | None,
    image: Mapping[str, Any] | None,
    *,
    crash: Explanation | None = None,
    golden: bytes | None = None,
    output: bytes | None = None,
    mode: str = "json",
    differing: Sequence[str] = (),
    file: FileFacts | None = None,
    probed: Probed | None = None,
) -> Diagnosis:
    """A crash (``crash``) or a mismatch (``golden`` vs ``output``, ``differing`` the paths that differ beyond
    tolerance). ``host``/``image`` are the two environment records (either may be None: then less is said);
    ``probed`` the differential probe's facts (None: only the records and the messages speak)."""
    probed = probed or Probed()
    # 1. extract (smoke/facts.py did the same to ask the probe)
    resources = extract(crash, probed.command) if crash is not None else _mismatch_resources(probed)
    # 2. the facts of both sides
    image_facts = image.get("facts") if isinstance(image, Mapping) else None
    evidence = Evidence(
        resources,
        probed.host,
        image_facts if isinstance(image_facts, Mapping) else probed.image,
        host,
        image,
        crash,
        probed.production,
        probed.code_reads,
        probed.host_files,
    )
    # 3. rank: the fact sources, and the recognisers of known messages and record differences
    causes = rank(gather(evidence))
    pkgs = package_differences(host, image)
    if crash is not None:
        known = _crash(crash, host, image, pkgs, file)
    else:
        known = _mismatch(host, image, pkgs, golden or b"", output or b"", mode, differing)
    # 4. explain
    return _explain(known, causes, mismatch=crash is None)


def _mismatch_resources(probed: Probed) -> Resources:
    return Resources(env=tuple(probed.code_reads), paths=tuple(probed.host_files))


_SPECIFIC = ("values differ", "package versions differ")


def _explain(known: Diagnosis, causes: list[Cause], *, mismatch: bool) -> Diagnosis:
    """The likeliest cause: an observed fact beats a recogniser's reading of the message; a mismatch keeps a
    recognised pattern (timezone, order, locale, drift) and lists the facts beside it."""
    observed = [c for c in causes if c.certainty == OBSERVED]
    details = dict(known.details)
    if causes:
        details["causes"] = [c.as_dict() for c in causes[:10]]
    top = observed[0] if observed else None
    others = [line for c in causes[1:4] for line in c.lines()[:1]] if top else []
    if known.rule is NOT_DETERMINISTIC:
        return replace_diagnosis(known, details, OBSERVED)
    if mismatch and known.cause not in _SPECIFIC:
        extra = tuple(line for c in causes[:3] for line in c.lines()[:1])
        details["certainty"] = OBSERVED  # a pattern of the two outputs and the records' facts
        return Diagnosis(known.rule, known.cause, known.hint, known.evidence + extra, details, OBSERVED)
    known_observed = bool(details.get("host_sets_it") or details.get("file"))
    if top is not None and not (known_observed and top.weight < 80):
        hint = top.fix + (f"\n{top.production}" if top.production else "")
        evidence = (*top.lines(), *others, *known.evidence)
        details["certainty"] = OBSERVED
        details["fact"] = top.as_dict()
        return Diagnosis(known.rule, top.text, hint, tuple(dict.fromkeys(evidence)), details, OBSERVED)
    if mismatch and known.cause == "values differ":
        details["certainty"] = NO_FACT
        evidence = (
            *known.evidence,
            "no environment variable, file or package the probe compared differs in a way that explains it",
        )
        return Diagnosis(known.rule, f"values differ; {NO_FACT}", known.hint, evidence, details, NO_FACT)
    certainty = OBSERVED if known_observed or mismatch else INFERRED
    details["certainty"] = certainty
    return Diagnosis(known.rule, known.cause, known.hint, known.evidence, details, certainty)


def replace_diagnosis(d: Diagnosis, details: Mapping[str, Any], certainty: str) -> Diagnosis:
    return Diagnosis(d.rule, d.cause, d.hint, d.evidence, {**details, "certainty": certainty}, certainty)


def _package_lines(pkgs: list[PackageDifference]) -> list[str]:
    shown = [d for d in pkgs if d.name not in _TOOLING and (d.host and d.image)][:MAX_PACKAGES]
    only_image = [d for d in pkgs if d.name not in _TOOLING and d.image and not d.host]
    only_host = [d for d in pkgs if d.name not in _TOOLING and d.host and not d.image]
    lines = [d.describe() for d in shown]
    lines.extend(d.describe() for d in only_image[: max(0, MAX_PACKAGES - len(shown))])
    if only_host:
        names = ", ".join(d.name for d in only_host[:6]) + (" ..." if len(only_host) > 6 else "")
        lines.append(f"{len(only_host)} installed on the host only: {names}")
    return lines


def _details(pkgs: list[PackageDifference], **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if pkgs:
        out["packages"] = [d.as_dict() for d in pkgs if d.name not in _TOOLING][:40]
    return out


def _crash(
    why: Explanation,
    host: Mapping[str, Any] | None,
    image: Mapping[str, Any] | None,
    pkgs: list[PackageDifference],
    file: FileFacts | None,
) -> Diagnosis:
    cause, hint, subject = why.cause, why.hint, why.subject
    facts: list[str] = []
    extra: dict[str, Any] = {"subject": subject}
    if cause == "missing environment variable" and subject:
        cause = f"missing environment variable {subject}"
        host_env = _env(host)
        if subject in host_env:
            value = str(host_env[subject])
            shown = "" if value.startswith("sha256:") else f" (= {value[:60]})"
            facts.append(f"the host sets {subject}{shown}; the container does not")
            extra["host_sets_it"] = True
        elif host is not None:
            facts.append(f"{subject} is not set on the host either (the recorded run may have used a default)")
            extra["host_sets_it"] = False
    elif cause == "module not found" and subject:
        cause = f"module not found: {subject}"
        owner = module_owner(subject, host)
        local = owner is not None and _dig(host, "distributions", owner[0], "direct_url") is True
        if owner and local:
            facts.append(
                f"the host installed {owner[0]} {owner[1]} from a path or URL (direct_url.json), not from an index: "
                "likely the project itself"
            )
            hint = "install the project in the image (`RUN pip install --no-deps .` after COPYing it) or put its "
            hint += "source directory on PYTHONPATH"
            extra["host_package"] = {"name": owner[0], "version": owner[1], "direct_url": True}
        elif owner:
            facts.append(f"the host has it: {owner[0]} {owner[1]} provides `{subject}`")
            hint = f"add {owner[0]}=={owner[1]} to the lock and rebuild (the host has it)"
            extra["host_package"] = {"name": owner[0], "version": owner[1]}
        elif host is not None:
            facts.append(f"the host's record has no distribution providing `{subject}` either")
    elif cause == "binary incompatibility":
        suspects = [d for d in pkgs if d.host and d.image and d.name not in _TOOLING]
        numpy = next((d for d in suspects if d.name == "numpy"), None)
        if numpy is not None:
            extra["numpy"] = {"host": numpy.host, "image": numpy.image}
        if subject:
            cause = f"binary incompatibility ({subject})"
    elif cause in ("read-only file system", "permission denied") and subject:
        cause = f"{cause}: {subject}"
        extra["path"] = subject
    elif cause == "file not found":
        if subject:
            cause = f"file not found: {subject}"
        if file is not None:
            facts += _file_facts(file)
            extra["file"] = {
                "path": file.path,
                "workdir": file.workdir,
                "in_context": file.in_context,
                "ignored_by": {"line": file.ignored_by[0], "pattern": file.ignored_by[1]} if file.ignored_by else None,
                "found_in_image": list(file.found),
            }
            if file.ignored_by:
                hint = (
                    f".dockerignore line {file.ignored_by[0]} (`{file.ignored_by[1]}`) keeps `{file.path}` out of "
                    "the build context: add an exception (`!" + file.path + "`) or narrow the pattern"
                )
            elif file.found:
                hint = (
                    f"the image has the file at {file.found[0]} but the prediction looked for `{file.path}` from "
                    f"{file.workdir or '/'}: set WORKDIR (or the smoke spec's `workdir`) to the directory the code "
                    "expects, or open the file relative to the code (Path(__file__).parent)"
                )
    package_lines = _package_lines(pkgs)
    if package_lines:
        facts.append("package versions that differ from the host's record: " + "; ".join(package_lines))
    evidence = tuple(facts) + why.evidence
    return Diagnosis(why.rule, cause, hint, evidence, _details(pkgs, **extra))


def _file_facts(file: FileFacts) -> list[str]:
    facts = []
    if file.ignored_by:
        facts.append(
            f"the project has `{file.path}`, but .dockerignore line {file.ignored_by[0]} "
            f"(`{file.ignored_by[1]}`) excludes it from the build context"
        )
    elif file.found:
        where = ", ".join(file.found[:3])
        facts.append(
            f"the image has a file of that name at {where}; the prediction ran in {file.workdir or '/'} and "
            f"looked for `{file.path}`"
        )
    elif file.in_context:
        facts.append(f"the project has `{file.path}` but the image does not: no COPY brings it in")
    else:
        facts.append(f"neither the project nor the image has `{file.path}`")
    return facts


def _moving(host: Mapping[str, Any] | None) -> set[str]:
    moving = _dig(host, "determinism", "moving")
    return {str(m) for m in moving} if isinstance(moving, list) else set()


def _mismatch(
    host: Mapping[str, Any] | None,
    image: Mapping[str, Any] | None,
    pkgs: list[PackageDifference],
    golden: bytes,
    output: bytes,
    mode: str,
    differing: Sequence[str],
) -> Diagnosis:
    facts: list[str] = []
    extra: dict[str, Any] = {}
    moving = _moving(host)
    keys = sorted({generalise(w) for w in differing})
    if moving and keys and all(k in moving for k in keys):
        return Diagnosis(
            NOT_DETERMINISTIC,
            "not deterministic on the host either",
            "these keys already moved between two runs on the developer's machine: seed the random generators "
            "(random, numpy, torch), sort what comes from sets and dicts, take times from the input, fix the "
            "thread count; then record again",
            (f"keys that moved between the host's runs: {', '.join(sorted(moving))}",),
            {"moving": sorted(moving), "differing": keys},
        )
    patterns = classify(golden, output, mode)
    kinds = {p.kind: p for p in patterns}
    hz, ho = _zone(host)
    iz, io = _zone(image)
    cause, hint = "values differ", "see the differing values"
    if "reordered" in kinds:
        p = kinds["reordered"]
        cause = "same values in another order"
        seeds = (_dig(host, "hashseed", "PYTHONHASHSEED"), _dig(image, "hashseed", "PYTHONHASHSEED"))
        facts.append(f"{', '.join(p.where)}: {p.note}")
        if host is not None or image is not None:
            facts.append(f"PYTHONHASHSEED: {seeds[0] or 'unset'} on the host, {seeds[1] or 'unset'} in the image")
        hint = (
            "the order comes from a set or a dict built from one (string hashing is randomised per process): "
            "sort the values before writing them, or set PYTHONHASHSEED=0 in the image and when recording"
        )
        extra["pattern"] = {"kind": p.kind, "where": list(p.where)}
    elif "whole-hours" in kinds and (host is None or image is None or (hz, ho) != (iz, io)):
        p = kinds["whole-hours"]
        cause = "timezone"
        facts.append(f"{', '.join(p.where[:5])}: {p.note}")
        facts.append(f"timezone: {hz} ({_utc(ho)}) on the host, {iz} ({_utc(io)}) in the image")
        hint = (
            "the prediction uses local time: compute in UTC (datetime.now(timezone.utc), utcfromtimestamp) or "
            f"set ENV TZ={hz} in the image if local time is intended"
        )
        extra["timezone"] = {"host": hz, "image": iz, "host_offset": ho, "image_offset": io}
    elif "locale-format" in kinds:
        p = kinds["locale-format"]
        cause = "locale-dependent formatting"
        hl = _dig(host, "locale") or {}
        il = _dig(image, "locale") or {}
        facts.append(f"{', '.join(p.where[:5])}: {p.note}")
        facts.append(f"locale: {_locale_text(hl)} on the host, {_locale_text(il)} in the image")
        hint = "format numbers without the locale (f-strings, json) or set LANG/LC_ALL in the image as on the host"
        extra["locale"] = {"host": dict(hl), "image": dict(il)}
    elif "float-drift" in kinds:
        p = kinds["float-drift"]
        cause = "float drift"
        facts.append(f"{len(p.where)} value(s) differ {p.note}: rounding, not a real difference")
        hc, ic = _dig(host, "platform", "cpu_count"), _dig(image, "platform", "cpu_count")
        if hc != ic:
            facts.append(f"CPUs: {hc} on the host, {ic} in the image (thread count changes summation order)")
        hint = "raise `rtol` (e.g. rtol = 1e-9) or `keys` tolerances for these keys; fix the thread count"
        extra["pattern"] = {"kind": p.kind, "where": list(p.where)}
    else:
        real = [d for d in pkgs if d.name not in _TOOLING and d.host and d.image]
        if real:
            cause = "package versions differ"
            hint = "pin the versions the host has in the lock (transitive ones too) and rebuild"
        elif keys and moving:
            facts.append(f"keys that moved between the host's runs: {', '.join(sorted(moving))}")
    package_lines = _package_lines(pkgs)
    if package_lines:
        facts.append("package versions that differ from the host's record: " + "; ".join(package_lines))
    for label, a, b in _environment_lines(host, image):
        if cause == "values differ":
            facts.append(f"{label}: {a} on the host, {b} in the image")
    return Diagnosis(DIFFERS, cause, hint, tuple(facts), _details(pkgs, **extra))


def _locale_text(loc: Any) -> str:
    if not isinstance(loc, Mapping) or not loc:
        return "unset (C)"
    return ", ".join(f"{k}={v}" for k, v in sorted(loc.items()))


def _environment_lines(host: Mapping[str, Any] | None, image: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """Other facts that differ between the two records, in words."""
    if not host or not image:
        return []
    out = []
    for label, keys in (
        ("Python", ("interpreter", "version")),
        ("machine", ("platform", "machine")),
        ("libc", ("platform", "libc")),
        ("timezone", ("timezone", "zone")),
        ("PYTHONHASHSEED", ("hashseed", "PYTHONHASHSEED")),
    ):
        a, b = _dig(host, *keys), _dig(image, *keys)
        if a != b and a is not None and b is not None:
            out.append((label, str(a), str(b)))
    return out


def rel_to_workdir(path: str, workdir: str) -> str:
    """``/app/weights.json`` with WORKDIR /app -> ``weights.json``; relative paths stay."""
    if posixpath.isabs(path) and workdir and path.startswith(workdir.rstrip("/") + "/"):
        return posixpath.relpath(path, workdir)
    return path


__all__ = ["Diagnosis", "FileFacts", "PackageDifference", "Pattern", "Probed", "diagnose", "package_differences"]
