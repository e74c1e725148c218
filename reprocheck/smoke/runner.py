"""Build (or reuse) the image, run the prediction sandboxed, compare with the golden output, explain."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from reprocheck.backend.base import (
    DIGEST_LABEL,
    RUN_LABEL,
    BindMount,
    BuildRequest,
    BuildResult,
    ContainerBackend,
    Progress,
    RunResult,
    Sandbox,
)
from reprocheck.errors import ConfigError
from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.rules import META
from reprocheck.smoke.compare import Comparison, compare
from reprocheck.smoke.explain import Explanation, explain
from reprocheck.smoke.inputs import image_name, inputs_digest
from reprocheck.smoke.record import VERSIONS_SNIPPET, env_record_path
from reprocheck.smoke.spec import SmokeSpec, memory_bytes

_STEP = re.compile(r"^Step (\d+)/\d+ : ")


@dataclass(frozen=True)
class SmokeOutcome:
    image: str | None
    build: BuildResult | None
    reused: bool
    run: RunResult | None
    output: bytes | None
    comparison: Comparison | None
    explanation: Explanation | None
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]


def _finding(rule: str, message: str, location: Location, hint: str | None = None) -> Finding:
    return Finding(rule, META[rule].severity, message, location, hint)


class SmokeRunner:
    """Runs one smoke spec against a container backend (the backend is passed in, as pip-audit's Auditor
    takes its service)."""

    def __init__(self, backend: ContainerBackend, spec: SmokeSpec, progress: Progress) -> None:
        self.backend = backend
        self.spec = spec
        self.progress = progress
        self.run_id = uuid.uuid4().hex[:12]
        self.notes: list[str] = []

    # ---- image

    def buildkit_reasons(self) -> list[str]:
        from reprocheck.backend.buildkit_cli import buildkit_reasons
        from reprocheck.parsing.dockerfile import parse_dockerfile

        df = parse_dockerfile(self.spec.dockerfile.read_bytes(), str(self.spec.dockerfile))
        return buildkit_reasons(df)

    def image(self, no_cache: bool = False, rebuild: bool = False) -> tuple[str | None, BuildResult | None, bool]:
        """(image reference, build result, reused). A build whose inputs digest is already on the engine
        is reused; otherwise the image is built, with BuildKit when the Dockerfile needs it."""
        spec = self.spec
        digest = inputs_digest(spec)
        tag = f"{image_name(spec)}:{digest[:16]}"
        if not (no_cache or rebuild):
            for info in self.backend.find_images({DIGEST_LABEL: digest}):
                self.notes.append(f"reused image {tag} ({info.id[7:19]}): the build inputs are unchanged")
                return (tag if tag in info.tags else info.id), None, True
        reasons = self.buildkit_reasons()
        if reasons:
            self.notes.append(f"built with BuildKit through the docker CLI: {', '.join(reasons[:3])} need it")
        request = BuildRequest(
            context=spec.context,
            dockerfile=spec.dockerfile,
            tag=tag,
            build_args=spec.build_args,
            target=spec.target,
            labels={DIGEST_LABEL: digest},  # no run id: an unchanged build stays fully cached
            no_cache=no_cache,
            buildkit=bool(reasons),
        )
        result = self.backend.build(request, self.progress)
        if result.ok:
            self.notes.append(f"built {tag} with the {result.builder} builder in {result.seconds:.1f} s")
        return (tag if result.ok else None), result, False

    # ---- run

    def sandbox(self, image: str, output_file: Path | None) -> Sandbox:
        spec = self.spec
        info = self.backend.inspect(image)
        workdir = spec.workdir or (info.workdir if info and info.workdir else "/")
        mounts = [BindMount(str((spec.root / inp).resolve()), posixpath.join(workdir, inp)) for inp in spec.inputs]
        if output_file is not None:
            mounts.append(BindMount(str(output_file), posixpath.join(workdir, spec.output), read_only=False))
        return Sandbox(
            network=spec.network,
            memory=memory_bytes(spec.memory),
            cpus=spec.cpus,
            pids=spec.pids,
            user=spec.user,
            workdir=spec.workdir,
            mounts=tuple(mounts),
            env=spec.env,
            labels={RUN_LABEL: self.run_id},
        )

    def execute(self, image: str) -> tuple[RunResult, bytes | None]:
        spec = self.spec
        scratch = Path(tempfile.mkdtemp(prefix="reprocheck-out-"))
        try:
            output_file: Path | None = None
            if spec.output != "stdout":
                output_file = scratch / "output"
                output_file.touch()
                output_file.chmod(0o666)  # the sandbox's user is not ours
            self.progress(f"running {' '.join(spec.command)} (network {'on' if spec.network else 'off'})")
            result = self.backend.run(image, spec.command, self.sandbox(image, output_file), spec.timeout)
            if output_file is None:
                return result, result.stdout
            data = output_file.read_bytes()
            return result, data if data else None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    # ---- judge

    def run(self, image_ref: str | None = None, no_cache: bool = False, rebuild: bool = False) -> SmokeOutcome:
        spec = self.spec
        if not spec.golden.is_file():
            raise ConfigError(
                f"the golden output `{spec.golden}` does not exist: run `reprocheck record` first",
                path=spec.config_path,
                line=spec.line_of("golden"),
            )
        build: BuildResult | None = None
        reused = False
        if image_ref is not None:
            if self.backend.inspect(image_ref) is None:
                raise ConfigError(f"image `{image_ref}` is not on the engine (reprocheck never pulls)")
            image: str | None = image_ref
            self.notes.append(f"checked image {image_ref} as given (not built)")
        else:
            image, build, reused = self.image(no_cache, rebuild)
        if image is None:
            assert build is not None
            return SmokeOutcome(
                None, build, False, None, None, None, None, (self._build_finding(build),), tuple(self.notes)
            )
        result, output = self.execute(image)
        findings, comparison, explanation = self.judge(result, output, image)
        return SmokeOutcome(
            image, build, reused, result, output, comparison, explanation, tuple(findings), tuple(self.notes)
        )

    def _command_location(self) -> Location:
        return Location(self.spec.config_path, self.spec.line_of("command"))

    def _build_finding(self, build: BuildResult) -> Finding:
        line = 1
        m = _STEP.match(build.failed_step or "")
        if m:
            line = _instruction_line(self.spec.dockerfile, int(m.group(1)))
        tail = "\n".join(build.log_tail[-12:])
        where = f" at `{build.failed_step}`" if build.failed_step else ""
        return _finding(
            "RC801",
            f"the image does not build{where}: {build.error}",
            Location(str(self.spec.dockerfile), line),
            hint=f"end of the build log:\n{tail}",
        )

    def judge(
        self, result: RunResult, output: bytes | None, image: str
    ) -> tuple[list[Finding], Comparison | None, Explanation | None]:
        spec = self.spec
        if result.timed_out or result.oom_killed or result.exit_code != 0:
            why = explain(result.exit_code, result.stderr, result.timed_out, result.oom_killed)
            evidence = "\n".join(why.evidence) or "(no stderr)"
            message = {
                "RC803": f"the prediction was killed after timeout = {spec.timeout:g} s",
                "RC804": f"the prediction was killed: out of memory (limit {spec.memory})",
            }.get(
                why.rule, f"the prediction failed in the container (exit {result.exit_code}); likely cause: {why.cause}"
            )
            hint = f"{why.hint}\nend of stderr:\n{evidence}"
            return [_finding(why.rule, message, self._command_location(), hint=hint)], None, why
        if output is None:
            return (
                [
                    _finding(
                        "RC802",
                        f"the prediction wrote no `{spec.output}` in the container",
                        Location(spec.config_path, spec.line_of("output")),
                        hint="check the path: it is relative to the image's working directory",
                    )
                ],
                None,
                None,
            )
        comparison = compare(spec.golden.read_bytes(), output, spec.compare, spec.tolerance, spec.keys)
        if comparison.equal:
            return [], comparison, None
        lines = [comparison.problem] if comparison.problem else []
        for d in comparison.differences:
            tol = f" ({d.tolerance})" if d.tolerance else ""
            lines.append(f"{d.where}: expected {d.expected}, got {d.actual}{tol}")
        if comparison.total > len(comparison.differences):
            lines.append(f"... and {comparison.total - len(comparison.differences)} more")
        versions = self.version_drift(image)
        if versions:
            lines.append("package versions that differ from the host's record: " + ", ".join(versions))
        count = comparison.total or 1
        message = (
            f"the container's prediction differs from {self._rel(spec.golden)} "
            f"({count} difference{'s' if count != 1 else ''}, compare = {spec.compare})"
        )
        return (
            [_finding("RC805", message, Location(self._rel(spec.golden), 1), hint="\n".join(lines))],
            comparison,
            None,
        )

    def version_drift(self, image: str) -> list[str]:
        """Packages whose version in the image differs from the host's record, when there is a record."""
        record_path = env_record_path(self.spec.golden)
        if not record_path.is_file():
            return []
        try:
            host = json.loads(record_path.read_text())
        except ValueError:
            return []
        names = sorted((host.get("packages") or {}).keys())
        if not names:
            return []
        python = (
            self.spec.command[0]
            if self.spec.command and self.spec.command[0].split("/")[-1].startswith("python")
            else "python3"
        )
        result = self.backend.run(image, (python, "-c", VERSIONS_SNIPPET, *names), self.sandbox(image, None), 60)
        if result.exit_code != 0:
            return []
        try:
            inside = json.loads(result.stdout).get("packages", {})
        except ValueError:
            return []
        out = []
        for name in names:
            a, b = host["packages"].get(name), inside.get(name)
            if a != b:
                out.append(f"{name} {a or 'absent'} on the host, {b or 'absent'} in the image")
        return out

    def _rel(self, path: Path) -> str:
        from reprocheck.engine.project import display

        return display(path)


def _instruction_line(dockerfile: Path, step: int) -> int:
    """The line of the N-th instruction (the classic builder's ``Step N/M``)."""
    from reprocheck.parsing.dockerfile import parse_dockerfile

    df = parse_dockerfile(dockerfile.read_bytes(), str(dockerfile))
    instructions = df.instructions  # ARG before FROM and ONBUILD lines are steps too
    return instructions[step - 1].line if 0 < step <= len(instructions) else 1
