"""Build (or reuse) the image, run the prediction sandboxed, compare with the golden output, explain."""

from __future__ import annotations

import json
import posixpath
import shutil
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reprocheck.backend.base import (
    RUN_LABEL,
    BindMount,
    BuildResult,
    ContainerBackend,
    Progress,
    RunResult,
    Sandbox,
)
from reprocheck.backend.images import build_finding, obtain_image
from reprocheck.confine import is_root_user
from reprocheck.errors import ConfigError
from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.rules import META
from reprocheck.smoke.compare import Comparison, compare
from reprocheck.smoke.explain import Explanation, explain
from reprocheck.smoke.record import VERSIONS_SNIPPET, env_record_path
from reprocheck.smoke.spec import SmokeSpec, memory_bytes

if TYPE_CHECKING:
    from reprocheck.backend.http import ServeResult


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

    def image(
        self, image_ref: str | None = None, no_cache: bool = False, rebuild: bool = False
    ) -> tuple[str | None, BuildResult | None, bool]:
        """(image reference, build result, reused): see ``obtain_image``."""
        got = obtain_image(self.backend, self.spec.source, self.progress, image_ref, no_cache, rebuild)
        self.notes.extend(got.notes)
        return got.image, got.build, got.reused

    # ---- run

    def sandbox(self, image: str, output_file: Path | None) -> Sandbox:
        spec = self.spec
        info = self.backend.inspect(image)
        workdir = spec.workdir or (info.workdir if info and info.workdir else "/")
        # sandbox: only what the spec's ProjectRoot resolved inside the project is mounted, read-only
        sources = spec.input_paths or tuple((spec.root / inp).resolve() for inp in spec.inputs)
        mounts = [
            BindMount(str(src), posixpath.join(workdir, inp)) for src, inp in zip(sources, spec.inputs, strict=True)
        ]
        if spec.user is not None and spec.allow_root and is_root_user(spec.user):
            note = f"warning: the prediction runs as root (`user = {spec.user!r}`, allow-root = true), not as nobody"
            if note not in self.notes:
                self.notes.append(note)
        # end sandbox
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
            # sandbox: output bounded (streams by the backend, a file by RLIMIT_FSIZE one byte past the limit)
            max_output=spec.max_output,
            max_file=spec.max_output + 1 if output_file is not None else None,
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
            # sandbox: the file is read only up to the limit; larger is RC807, however it ended
            if output_file.stat().st_size > spec.max_output:
                return replace(result, exceeded=f"`{spec.output}`"), None
            data = output_file.read_bytes()
            return result, data if data else None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    # ---- judge

    def run(self, image_ref: str | None = None, no_cache: bool = False, rebuild: bool = False) -> SmokeOutcome:
        self.check_golden()
        image, build, reused = self.image(image_ref, no_cache, rebuild)
        if image is None:
            assert build is not None
            return SmokeOutcome(
                None,
                build,
                False,
                None,
                None,
                None,
                None,
                (build_finding(build, self.spec.dockerfile),),
                tuple(self.notes),
            )
        return self.run_on(image, build, reused)

    def run_on(self, image: str, build: BuildResult | None = None, reused: bool = False) -> SmokeOutcome:
        """Run the prediction in an image already at hand and judge it."""
        self.check_golden()
        if self.spec.serve is not None:
            return self.serve_on(image, build, reused)
        result, output = self.execute(image)
        findings, comparison, explanation = self.judge(result, output, image)
        return SmokeOutcome(
            image, build, reused, result, output, comparison, explanation, tuple(findings), tuple(self.notes)
        )

    def serve_on(self, image: str, build: BuildResult | None, reused: bool) -> SmokeOutcome:
        """Serve mode: start the server, wait for readiness, send the request, judge the response."""
        from reprocheck.smoke.serve import serve_request

        serve = self.spec.serve
        assert serve is not None
        result = self.backend.serve(
            image, serve_request(serve), self.spec.command, self.sandbox(image, None), self.spec.timeout, self.progress
        )
        run = RunResult(
            result.exit_code,
            result.stdout,
            result.stderr,
            not result.ready and not result.exited,
            result.oom_killed,
            result.seconds,
        )
        findings, comparison, explanation = self.judge_serve(result, image)
        return SmokeOutcome(
            image, build, reused, run, result.body, comparison, explanation, tuple(findings), tuple(self.notes)
        )

    def judge_serve(
        self, result: ServeResult, image: str
    ) -> tuple[list[Finding], Comparison | None, Explanation | None]:
        spec = self.spec
        serve = spec.serve
        assert serve is not None
        serve_line = Location(spec.config_path, spec.line_of("serve"))
        if result.exceeded:  # sandbox: past max-output
            return [self.too_large(result.exceeded, result.stderr)], None, None
        logs = (result.stderr + result.stdout).decode("utf-8", "replace").strip().splitlines()[-12:]
        tail = "\n".join(logs) or "(no output)"
        if result.exited or result.oom_killed:
            why = explain(result.exit_code, result.stderr + result.stdout, False, result.oom_killed)
            message = (
                f"the server was killed: out of memory (limit {spec.memory})"
                if why.rule == "RC804"
                else f"the server exited (code {result.exit_code}) before it was ready; likely cause: {why.cause}"
            )
            return [_finding(why.rule, message, serve_line, hint=f"{why.hint}\nend of its output:\n{tail}")], None, why
        if not result.ready:
            return (
                [
                    _finding(
                        "RC806",
                        f"the server was not ready after ready-timeout = {serve.ready_timeout:g} s "
                        f"(waiting for {serve.readiness})",
                        Location(spec.config_path, spec.line_of("serve")),
                        hint="check that it listens on 0.0.0.0:"
                        f"{serve.port} inside the container, and the readiness check; end of its output:\n{tail}",
                    )
                ],
                None,
                None,
            )
        if result.status is None:
            rule = "RC803" if result.request_timed_out else "RC802"
            return (
                [
                    _finding(
                        rule,
                        f"the server was ready but {serve.method} {serve.path} failed: {result.error}",
                        serve_line,
                        hint=f"end of its output:\n{tail}",
                    )
                ],
                None,
                None,
            )
        body = result.body or b""
        if result.status != serve.status:
            snippet = body[:300].decode("utf-8", "replace")
            return (
                [
                    _finding(
                        "RC805",
                        f"{serve.method} {serve.path} answered HTTP {result.status}, expected {serve.status}",
                        serve_line,
                        hint=f"response body: {snippet}\nend of its output:\n{tail}",
                    )
                ],
                None,
                None,
            )
        ok = RunResult(0, body, result.stderr, False, False, result.seconds)
        return self.judge(ok, body, image)

    def too_large(self, what: str, stderr: bytes) -> Finding:
        """RC807: the prediction (or server) went past max-output; sandbox."""
        from reprocheck.engine.table import show_size
        from reprocheck.rules.runtime import OUTPUT_TOO_LARGE

        spec = self.spec
        tail = "\n".join(stderr[-2000:].decode("utf-8", "replace").strip().splitlines()[-5:]) or "(no stderr)"
        return _finding(
            OUTPUT_TOO_LARGE.id,
            f"the prediction wrote more than max-output = {show_size(spec.max_output)} to {what}: it was stopped",
            self._command_location(),
            hint="a prediction that floods its output is a bug (a debug print, a loop); if the output is really "
            f"that large, raise `max-output`\nend of stderr:\n{tail}",
        )

    def check_golden(self) -> None:
        spec = self.spec
        if not spec.golden.is_file():
            raise ConfigError(
                f"the golden output `{spec.golden}` does not exist: run `reprocheck record` first",
                path=spec.config_path,
                line=spec.line_of("golden"),
            )

    def _command_location(self) -> Location:
        return Location(self.spec.config_path, self.spec.line_of("command"))

    def judge(
        self, result: RunResult, output: bytes | None, image: str
    ) -> tuple[list[Finding], Comparison | None, Explanation | None]:
        spec = self.spec
        if result.exceeded:  # sandbox: past max-output
            return [self.too_large(result.exceeded, result.stderr)], None, None
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
