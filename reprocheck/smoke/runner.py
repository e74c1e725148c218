"""Build (or reuse) the image, run the prediction sandboxed, compare with the golden output, explain."""

from __future__ import annotations

import posixpath
import shutil
import tempfile
import uuid
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reprocheck.backend.base import (
    RUN_LABEL,
    BindMount,
    BuildResult,
    ContainerBackend,
    ImageInfo,
    Progress,
    RunRequest,
    RunResult,
    Sandbox,
)
from reprocheck.backend.image_files import remembered
from reprocheck.errors import ConfigError
from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.model.rule import RuleMeta
from reprocheck.model.users import MAX_FILE, Decision, decide_in_image
from reprocheck.rules.runtime import (
    CRASHED,
    DIFFERS,
    NOT_DETERMINISTIC,
    OUT_OF_MEMORY,
    OUTPUT_TOO_LARGE,
    PASSED_ELSEWHERE,
    SERVER_MISBEHAVED,
    SERVER_NOT_READY,
    TIMED_OUT,
)
from reprocheck.smoke.compare import Comparison, compare
from reprocheck.smoke.gpu import not_run as gpu_not_run
from reprocheck.smoke.gpu import refusal as gpu_refusal
from reprocheck.smoke.spec import SmokeSpec, memory_bytes

if TYPE_CHECKING:
    from reprocheck.backend.base import ServeResult
    from reprocheck.backend.http import Reply
    from reprocheck.smoke.diagnose import Diagnosis
    from reprocheck.smoke.explain import Explanation

# What explains a failure (smoke/explain.py, smoke/diagnose.py, and their patterns) is imported when a
# prediction fails or differs: a passing run never needs it (a twentieth of smoke's start-up).


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


_DISTRUST = (
    "reprocheck talks to the server as a client that trusts nothing: it follows no redirect (its target could "
    "be any service of the machine running the check) and accepts only well-formed HTTP/1.x (head lines up to "
    "64 KiB, at most 100 header fields); make the server answer the request itself"
)


def _finding(
    rule: RuleMeta, message: str, location: Location, hint: str | None = None, why: Diagnosis | None = None
) -> Finding:
    if why is None:
        return rule.finding(location, message, hint)
    return rule.finding(location, message, hint, cause=why.cause, evidence=why.evidence, details=why.details)


def _side_by_side(comparison: Comparison) -> dict[str, object]:
    """The differing values for reports that show golden and output side by side (HTML)."""
    shown = [
        {"where": d.where, "expected": d.expected, "actual": d.actual, "tolerance": d.tolerance}
        for d in comparison.differences
    ]
    more = comparison.total - len(shown)
    return {"differences": shown, **({"more_differences": more} if more > 0 else {})}


def _heard_on_loopback(result: ServeResult) -> bool:
    """The server's output says it listens on a loopback address (inside the container: unreachable)."""
    from reprocheck.smoke.readiness import LOOPBACK, listen_address

    heard = listen_address((result.stderr + result.stdout).decode("utf-8", "replace"))
    return heard is not None and heard.startswith(LOOPBACK)


class SmokeRunner:
    """Runs one smoke spec against a container backend (the backend is passed in, as pip-audit's Auditor
    takes its service)."""

    def __init__(self, backend: ContainerBackend, spec: SmokeSpec, progress: Progress) -> None:
        self.backend = backend
        self.spec = spec
        self.progress = progress
        self.run_id = uuid.uuid4().hex[:12]
        self.notes: list[str] = []
        self._info: dict[str, ImageInfo | None] = {}  # an image does not change under one stage
        self._users: dict[str, Decision] = {}

    def remember(self, image: str, info: ImageInfo) -> None:
        """The image as its caller just inspected it: no second look-up."""
        self._info[image] = info

    def image_info(self, image: str) -> ImageInfo | None:
        if image not in self._info:
            self._info[image] = self.backend.inspect(image)
        return self._info[image]

    # ---- run

    def user(self, image: str, info: ImageInfo | None) -> str:
        """Who runs the project's code: the spec's ``user`` or the image's ``USER``, resolved in the image as
        the runtime resolves it (uid 0 by any spelling needs ``allow-root``; a user the image cannot resolve
        runs as nobody, with a note)."""
        spec = self.spec
        if image not in self._users:
            read = remembered(partial(self.backend.read_image_files, image, limit=MAX_FILE), info.id if info else "")
            decision = decide_in_image(spec.user, spec.allow_root, info.user if info else "", read)
            if decision.refused:
                raise ConfigError(f"smoke.user: {decision.refused}", path=spec.config_path, line=spec.line_of("user"))
            self._users[image] = decision
        note = self._users[image].note
        if note and note not in self.notes:
            self.notes.append(note)
        return self._users[image].user

    def sandbox(self, image: str, output_file: Path | None) -> Sandbox:
        spec = self.spec
        info = self.image_info(image)
        workdir = spec.workdir or (info.workdir if info and info.workdir else "/")
        # sandbox: only what the spec's ProjectRoot resolved inside the project is mounted, read-only
        sources = spec.input_paths or tuple((spec.root / inp).resolve() for inp in spec.inputs)
        mounts = [
            BindMount(str(src), posixpath.join(workdir, inp)) for src, inp in zip(sources, spec.inputs, strict=True)
        ]
        user = self.user(image, info)
        # end sandbox
        if output_file is not None:
            mounts.append(BindMount(str(output_file), posixpath.join(workdir, spec.output), read_only=False))
        return Sandbox(
            network=spec.network,
            read_only=spec.read_only,
            shm_size=spec.shm_size,
            memory=memory_bytes(spec.memory),
            cpus=spec.cpus,
            pids=spec.pids,
            user=user,
            workdir=spec.workdir,
            mounts=tuple(mounts),
            env=spec.env,
            labels={RUN_LABEL: self.run_id},
            # sandbox: output bounded (streams by the backend, a file by RLIMIT_FSIZE one byte past the limit)
            max_output=spec.max_output,
            max_file=spec.max_output + 1 if output_file is not None else None,
            gpus=spec.gpus,
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
            sandbox = self.sandbox(image, output_file)
            result = self.backend.run(
                RunRequest(image, spec.command, sandbox, spec.timeout), info=self.image_info(image)
            )
            if spec.gpus and result.exit_code == 127 and (why := gpu_refusal(result.stderr)):
                raise gpu_not_run(spec.gpus, why)  # the engine has no GPU to give: not run, not crashed
            if output_file is None:
                return result, result.stdout
            # sandbox: the file is read only up to the limit; larger is OUTPUT_TOO_LARGE, however it ended
            if output_file.stat().st_size > spec.max_output:
                return replace(result, exceeded=f"`{spec.output}`"), None
            data = output_file.read_bytes()
            return result, data if data else None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    # ---- judge

    def run_on(self, image: str, build: BuildResult | None = None, reused: bool = False) -> SmokeOutcome:
        """Run the prediction in an image already at hand and judge it."""
        if self.spec.serve is not None:
            return self.serve_on(image, build, reused)
        self.check_golden()
        self.note_replaced_command(image)
        result, output = self.execute(image)
        findings, comparison, explanation = self.judge(result, output, image)
        return SmokeOutcome(
            image, build, reused, result, output, comparison, explanation, tuple(findings), tuple(self.notes)
        )

    def serve_on(self, image: str, build: BuildResult | None, reused: bool) -> SmokeOutcome:
        """Serve mode for this spec alone (``serve_cases`` with one case)."""
        return self.serve_cases(image, build, reused, (self.spec,))[0]

    def for_case(self, case: SmokeSpec) -> SmokeRunner:
        """A runner judging ``case`` that shares this one's look-ups (image, user) and notes."""
        if case is self.spec:
            return self
        runner = SmokeRunner(self.backend, case, self.progress)
        runner.run_id, runner.notes, runner._info, runner._users = self.run_id, self.notes, self._info, self._users
        return runner

    def serve_cases(
        self, image: str, build: BuildResult | None, reused: bool, cases: tuple[SmokeSpec, ...]
    ) -> list[SmokeOutcome]:
        """Serve mode: one server start for ``cases`` (they share this spec's command and inputs), one request
        each, in order; each case judged against its own golden, on its own."""
        from reprocheck.backend.base import ServeRequest
        from reprocheck.backend.http import Call
        from reprocheck.smoke.readiness import Ticker

        serve = self.spec.serve
        assert serve is not None
        runners = [self.for_case(case) for case in cases]
        for runner in runners:
            runner.check_golden()
        self.note_replaced_command(image)
        request = ServeRequest(
            image=image,
            port=serve.port,
            # one call per case, in the cases' order (a reply is matched to its case by position)
            calls=tuple(Call(q.path, q.method, q.body, q.headers) for q in (c.serve or serve for c in cases)),
            sandbox=self.sandbox(image, None),
            command=self.spec.command,
            timeout=self.spec.timeout,
            ready_http=serve.ready_http,
            ready_log=serve.ready_log,
            ready_timeout=serve.ready_timeout,
        )
        ticker = Ticker(self.progress, serve.readiness, serve.ready_timeout)

        def relay(message: object) -> None:
            if str(message).startswith("server ready"):
                ticker.stop()
            self.progress(message)  # type: ignore[arg-type]

        with ticker:  # never a silent wait: what is checked, how long is left
            result = self.backend.serve(request, relay)
        if self.spec.gpus and not result.ready and (why := gpu_refusal(result.stderr)):
            raise gpu_not_run(self.spec.gpus, why)  # the engine has no GPU to give: not run, not crashed
        run = RunResult(  # the server's run, the same for every case it answered
            result.exit_code,
            result.stdout,
            result.stderr,
            not result.ready and not result.exited,
            result.oom_killed,
            result.seconds,
        )
        outcomes = []
        for index, runner in enumerate(runners):
            reply = result.replies[index] if index < len(result.replies) else None
            answered = reply is not None and reply.status is not None
            findings, comparison, explanation = runner.judge_serve(result, reply, image)
            body = reply.body if reply is not None and answered else None
            outcomes.append(
                SmokeOutcome(
                    image, build, reused, run, body, comparison, explanation, tuple(findings), tuple(self.notes)
                )
            )
        return outcomes

    def judge_serve(
        self, result: ServeResult, reply: Reply | None, image: str
    ) -> tuple[list[Finding], Comparison | None, Explanation | None]:
        """One case's verdict: how the server fared, and the reply to this case's request."""
        spec = self.spec
        serve = spec.serve
        assert serve is not None
        serve_line = Location(spec.config_path, spec.line_of("serve"))
        if result.exceeded:  # sandbox: the server's output past max-output
            return [self.too_large(result.exceeded, result.stderr)], None, None
        if reply is not None and reply.exceeded:
            return [self.too_large("the response body", result.stderr)], None, None
        logs = (result.stderr + result.stdout).decode("utf-8", "replace").strip().splitlines()[-12:]
        tail = "\n".join(logs) or "(no output)"
        answered = reply is not None and reply.status is not None
        if not answered and (result.exited or result.oom_killed):
            from reprocheck.smoke.explain import explain

            why = explain(result.exit_code, result.stderr + result.stdout, False, result.oom_killed)
            d = self.diagnosis(image, crash=why)
            when = "while it was answering" if result.ready else "before it was ready"
            message = (
                f"the server was killed: out of memory (limit {spec.memory})"
                if why.rule is OUT_OF_MEMORY
                else f"the server exited (code {result.exit_code}) {when}; likely cause: {d.cause}"
            )
            quoted = "\n".join(why.evidence) or tail
            return [_finding(why.rule, message, serve_line, f"{d.hint}\nwhat its output says:\n{quoted}", d)], None, why
        if misbehaved := self.misbehaved(result, reply):
            return (
                [SERVER_MISBEHAVED.finding(serve_line, misbehaved, hint=f"{_DISTRUST}\nend of its output:\n{tail}")],
                None,
                None,
            )
        if not result.ready or reply is None:
            return [self.not_ready(result, image, tail, result.loopback_only)], None, None
        if reply.status is None and not reply.timed_out and _heard_on_loopback(result):
            return [self.not_ready(result, image, tail, loopback=True)], None, None  # ready by its log, unreachable
        if reply.status is None:
            rule = TIMED_OUT if reply.timed_out else CRASHED
            return (
                [
                    rule.finding(
                        serve_line,
                        f"the server was ready but {serve.method} {serve.path} failed: {reply.error}",
                        hint=f"end of its output:\n{tail}",
                    )
                ],
                None,
                None,
            )
        body = reply.body or b""
        if reply.status != serve.status:
            snippet = body[:300].decode("utf-8", "replace")
            return (
                [
                    DIFFERS.finding(
                        serve_line,
                        f"{serve.method} {serve.path} answered HTTP {reply.status}, expected {serve.status}",
                        hint=f"response body: {snippet}\nend of its output:\n{tail}",
                    )
                ],
                None,
                None,
            )
        ok = RunResult(0, body, result.stderr, False, False, result.seconds)
        return self.judge(ok, body, image)

    def not_ready(self, result: ServeResult, image: str, tail: str, loopback: bool = False) -> Finding:
        """SERVER_NOT_READY, with the address the server says it listens on and the end of its output;
        ``loopback``: it listens, but inside the container only."""
        from reprocheck.smoke.explain import explain
        from reprocheck.smoke.readiness import LOOPBACK, advice, listen_address

        spec = self.spec
        serve = spec.serve
        assert serve is not None
        why = explain(None, result.stderr + result.stdout, False, False)
        d = self.diagnosis(image, crash=why)
        heard = listen_address((result.stderr + result.stdout).decode("utf-8", "replace"))
        if loopback and (heard is None or not heard.startswith(LOOPBACK)):
            heard = f"127.0.0.1:{serve.port}"  # what the container's own socket table says
        what = (
            "the server is not reachable"
            if loopback
            else f"the server was not ready after ready-timeout = {serve.ready_timeout:g} s (waiting for "
            f"{serve.readiness})"
        )
        return _finding(
            SERVER_NOT_READY,
            f"{what}; {advice(heard, serve.port, True)}",
            Location(spec.config_path, spec.line_of("serve")),
            hint="check that it listens on 0.0.0.0:"
            f"{serve.port} inside the container, and the readiness check; end of its output:\n{tail}",
            why=replace(d, rule=SERVER_NOT_READY, cause=d.cause if why.cause != "crash" else "not ready"),
        )

    def misbehaved(self, result: ServeResult, reply: Reply | None) -> str | None:
        """SERVER_MISBEHAVED's message: a redirect not asked for (never followed), or a broken answer."""
        from reprocheck.backend.http import redirect_message

        serve = self.spec.serve
        assert serve is not None
        if result.misbehaved:
            return result.misbehaved
        if reply is None:
            return None
        if reply.misbehaved:
            return reply.misbehaved
        status = reply.status
        if status is not None and 300 <= status < 400 and status != serve.status:
            return redirect_message(f"{serve.method} {serve.path}", status, reply.location)
        return None

    def too_large(self, what: str, stderr: bytes) -> Finding:
        """OUTPUT_TOO_LARGE: the prediction (or server) went past max-output; sandbox."""
        from reprocheck.lint.table import show_size

        spec = self.spec
        tail = "\n".join(stderr[-2000:].decode("utf-8", "replace").strip().splitlines()[-5:]) or "(no stderr)"
        return OUTPUT_TOO_LARGE.finding(
            self._command_location(),
            f"the prediction wrote more than max-output = {show_size(spec.max_output)} to {what}: it was stopped",
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
            from reprocheck.smoke.explain import explain

            why = explain(result.exit_code, result.stderr, result.timed_out, result.oom_killed)
            d = self.diagnosis(image, crash=why) if why.rule is CRASHED else None
            cause = f"{d.cause} ({d.certainty})" if d else why.cause
            evidence = "\n".join(why.evidence) or "(no stderr)"  # the same lines as the finding's evidence
            message = {
                TIMED_OUT.id: f"the prediction was killed after timeout = {spec.timeout:g} s",
                OUT_OF_MEMORY.id: f"the prediction was killed: out of memory (limit {spec.memory})",
            }.get(
                why.rule.id,
                f"the prediction failed in the container (exit {result.exit_code}); likely cause: {cause}",
            )
            hint = f"{d.hint if d else why.hint}\nwhat stderr says:\n{evidence}"
            return [_finding(why.rule, message, self._command_location(), hint, d)], None, why
        if output is None:
            return (
                [
                    CRASHED.finding(
                        Location(spec.config_path, spec.line_of("output")),
                        f"the prediction wrote no `{spec.output}` in the container",
                        hint="check the path: it is relative to the image's working directory",
                    )
                ],
                None,
                None,
            )
        comparison = compare(spec.read_golden(), output, spec.compare, spec.tolerance, spec.keys)
        if comparison.equal:
            return self.what_it_proved(image), comparison, None
        lines = [comparison.problem] if comparison.problem else []
        for diff in comparison.differences:
            tol = f" ({diff.tolerance})" if diff.tolerance else ""
            lines.append(f"{diff.where}: expected {diff.expected}, got {diff.actual}{tol}")
        if comparison.total > len(comparison.differences):
            lines.append(f"... and {comparison.total - len(comparison.differences)} more")
        d = self.diagnosis(image, output=output)
        d = replace(d, details={**d.details, **_side_by_side(comparison)})
        lines = [d.hint, *lines]
        count = comparison.total or 1
        message = (
            f"the container's prediction differs from {self._rel(spec.golden)} "
            f"({count} difference{'s' if count != 1 else ''}, compare = {spec.compare}); likely cause: {d.cause} "
            f"({d.certainty})"
        )
        if d.rule is NOT_DETERMINISTIC:
            message = (
                f"the container's prediction differs from {self._rel(spec.golden)} only in keys that also moved "
                "between runs on the host: not the container's fault"
            )
        return (
            [_finding(d.rule, message, Location(self._rel(spec.golden), 1), "\n".join(lines), d)],
            comparison,
            None,
        )

    def note_replaced_command(self, image: str) -> None:
        """A note when the spec's `command` replaces the image's ENTRYPOINT (or, in serve mode, a server CMD):
        the smoke test then tests another program than the one the image runs."""
        import re

        spec = self.spec
        info = self.image_info(image) if spec.command else None
        if info is None:
            return
        mine = " ".join(spec.command)
        if info.entrypoint and tuple(spec.command[: len(info.entrypoint)]) != info.entrypoint:
            what = f"ENTRYPOINT `{' '.join(info.entrypoint)}`"
        elif (
            spec.serve is not None
            and info.cmd
            and tuple(spec.command) != info.cmd
            and re.search(r"\b(gunicorn|uvicorn|waitress-serve|hypercorn|daphne|flask)\b", " ".join(info.cmd))
        ):
            what = f"CMD `{' '.join(info.cmd)}`"
        else:
            return
        self.notes.append(
            f"the spec's `command` (`{mine}`) replaces the image's {what}: smoke tests that command, not the "
            "program the image runs; to test the image's own, leave `command` out (serve mode: `record` then "
            "starts `serve.record-command` here)"
        )

    # ---- a pass: what it proved (smoke/drift.py)

    def what_it_proved(self, image: str) -> list[Finding]:
        """RC870 when the image's environment differs from the golden's record (Python, packages, OS, CPU)."""
        from reprocheck.envprobe import load_record
        from reprocheck.smoke.drift import environment_drift
        from reprocheck.smoke.record import env_record_path

        spec = self.spec
        record_path = env_record_path(spec.golden)
        host = load_record(record_path)
        if host is None:
            self.notes.append(
                f"no environment record beside {spec.golden.name}: the pass says nothing about the environment "
                "the golden came from (`reprocheck record` writes one)"
            )
            return []
        mine = self.image_record(image)
        if mine is None:
            return []
        lines = environment_drift(host, mine)
        if not lines:
            return []
        return [
            PASSED_ELSEWHERE.finding(
                Location(self._rel(record_path), 1),
                f"the prediction matches {spec.golden.name}, but the image differs from the environment it was "
                f"recorded in: {'; '.join(lines)}",
                hint="the pass shows the same output under these differences; to compare like with like, install "
                "the image's lock where you record and run `reprocheck record` again ([tool.reprocheck.severity] "
                'RC870 = "warning" makes this fail the gate)',
                cause="golden recorded in another environment",
                evidence=tuple(lines),
                details={"drift": lines},
            )
        ]

    def image_record(self, image: str) -> dict[str, Any] | None:
        """The environment probe run in the image (its sandbox), kept per image id and command in the cache:
        an image never changes, so a reused image is probed once."""
        import hashlib
        import json

        from reprocheck.backend.journal import cache_dir
        from reprocheck.envprobe import clean
        from reprocheck.smoke.drift_probe import probe_image

        info = self.image_info(image)
        key = hashlib.sha256(json.dumps([info.id if info else image, *self.spec.command]).encode()).hexdigest()[:32]
        cached = cache_dir() / "image-records" / f"{key}.json"
        if info is not None and cached.is_file():
            try:
                doc = json.loads(cached.read_text(encoding="utf-8"))
                if isinstance(doc, dict):
                    return clean(doc)
            except (OSError, ValueError):
                pass
        self.progress("probing the image's environment (Python, packages, OS), once per image")
        try:
            record, problem = probe_image(self.backend, image, self.sandbox(image, None), self.spec.command)
        except Exception as exc:  # what a pass proved never turns it into a failure
            record, problem = None, f"the environment probe did not run in the image: {exc}"
        if record is None:
            self.notes.append(problem or "the environment probe gave nothing in the image")
            return None
        if info is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
            except OSError:
                pass
        return record

    # ---- diagnosis: smoke/facts.py gathers the facts, smoke/diagnose.py judges them

    def diagnosis(self, image: str, *, crash: Explanation | None = None, output: bytes | None = None) -> Diagnosis:
        from reprocheck.smoke.facts import diagnose_run

        try:
            sandbox: Sandbox | None = self.sandbox(image, None)
        except Exception as exc:  # the diagnosis never hides the failure it explains
            self.notes.append(f"the environment probe did not run in the image: {exc}")
            sandbox = None
        return diagnose_run(self.backend, self.spec, image, sandbox, crash=crash, output=output, notes=self.notes)

    def _rel(self, path: Path) -> str:
        from reprocheck.lint.project import display

        return display(path)
