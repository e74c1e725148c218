"""Look inside an image (sandboxed, no network) and judge it against the Dockerfile and its locks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from reprocheck.backend.base import RUN_LABEL, ContainerBackend, ImageInfo, Progress, RunRequest, Sandbox
from reprocheck.model.build import ImageSource
from reprocheck.model.finding import Finding
from reprocheck.model.users import FILES as USER_FILES
from reprocheck.model.users import needs_files
from reprocheck.oci.distribution import tag_digest
from reprocheck.verify.expect import Expectation, expectation
from reprocheck.verify.match import Verdict, judge_base_digest, verify
from reprocheck.verify.ml import judge_ml, requirers
from reprocheck.verify.probe import (
    APK_INSTALLED,
    DPKG_STATUS,
    SNIPPET,
    Inventory,
    inventory,
    parse_probe,
)
from reprocheck.verify.spec import VerifySpec

PROBE_TIMEOUT = 60.0
ML_IMPORT = {"REPROCHECK_PROBE_ML_IMPORT": "1"}


@dataclass(frozen=True)
class VerifyOutcome:
    inventory: Inventory
    expectation: Expectation
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]


def load_expectation(source: ImageSource, spec: VerifySpec) -> Expectation:
    """Parse the Dockerfile, follow it into its context, and read the locks (config's, else the installed ones)."""
    from reprocheck.lint.project import DepLoader, build_project, display
    from reprocheck.parsing.dockerfile import parse_dockerfile

    loader = DepLoader()
    shown = display(source.dockerfile)
    df = parse_dockerfile(source.dockerfile.read_bytes(), shown)
    project = build_project(df, source.dockerfile, loader, limit=source.context.resolve())
    locks = [f for f in (loader.load(p) for p in spec.locks) if f is not None]
    return expectation(df, project, locks, source.target)


class VerifyRunner:
    def __init__(self, backend: ContainerBackend, spec: VerifySpec, progress: Progress) -> None:
        self.backend = backend
        self.spec = spec
        self.progress = progress
        self.run_id = uuid.uuid4().hex[:12]

    def probe(self, image: str, info: ImageInfo | None = None) -> Inventory:
        """``info``: the image as its caller just inspected it (no second look-up)."""
        info = info or self.backend.inspect(image)
        user = info.user if info else ""
        files_wanted: tuple[str, ...] = (DPKG_STATUS, APK_INSTALLED) if self.spec.os_packages else ()
        if user and needs_files(user):  # a name: uid 0 or not is in the image's passwd
            files_wanted += USER_FILES
        # the ML probe may import torch (bounded, in a child process) for what only an import tells
        sandbox = Sandbox(labels={RUN_LABEL: self.run_id}, memory=512 * 1024**2, env=ML_IMPORT)
        errors: list[str] = []
        files: dict[str, bytes] = {}
        for python in self.spec.python:
            self.progress(f"listing what {image} holds ({python}, no network)")
            probe = RunRequest(image, (python, "-c", SNIPPET), sandbox, PROBE_TIMEOUT, files_wanted)
            result = self.backend.run(probe, info=info)
            files = dict(result.files) or files
            if result.exit_code == 0:
                doc, error = parse_probe(result.stdout)
                if doc is not None:
                    return inventory(doc, python, files, user)
                errors.append(f"{python}: {error}")
                continue
            last = (result.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            errors.append(f"{python}: {'timed out' if result.timed_out else last[:200]}")
        return inventory(None, None, files, user, python_error="; ".join(errors) or "no interpreter to try")

    def base_digests(self, exp: Expectation, notes: list[str]) -> list[Finding]:
        """A base image (RC816) whose registry digest differs from the pin, or from the engine's copy; one not
        compared (the registry did not answer, or lacks the tag) is a note with the reason."""
        from reprocheck.errors import LookupFailed

        out: list[Finding] = []
        for ref, line in exp.bases:
            if ref.unresolved or (ref.digest and not ref.tag):
                continue  # a variable, or a digest without a tag: nothing to ask the registry
            name = ref.raw.split("@", 1)[0]
            if ":" not in name.rsplit("/", 1)[-1]:
                name += ":latest"
            self.progress(f"asking the registry for {name}")
            try:  # the registry's answer (reprocheck.oci, as fix asks it), not the engine's
                remote = tag_digest(name)
            except LookupFailed as exc:
                notes.append(f"base image {name} not compared with its registry: {exc}")
                continue
            local: set[str] = set()
            if not ref.digest:
                info = self.backend.inspect(name)
                local = {d.split("@", 1)[1] for d in info.repo_digests if "@" in d} if info else set()
            finding = judge_base_digest(name, ref.digest, remote, local, exp.dockerfile, line)
            if finding is not None:
                out.append(finding)
        return out

    def run(self, image: str, source: ImageSource, info: ImageInfo | None = None) -> VerifyOutcome:
        inv = self.probe(image, info)  # first: the Dockerfile and locks are read while other containers run
        exp = load_expectation(source, self.spec)
        verdict: Verdict = verify(exp, inv, self.spec.ignore)
        findings = list(verdict.findings)
        notes = list(verdict.notes)
        ml_findings, ml_notes = judge_ml(inv.ml, exp, requirers(inv))
        findings += ml_findings
        notes += ml_notes
        if self.spec.online:
            findings += self.base_digests(exp, notes)
        else:
            notes.append("base images not compared with their registries (set online = true or pass --online)")
        return VerifyOutcome(inv, exp, tuple(findings), tuple(notes))
