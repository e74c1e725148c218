"""The smoke spec: ``[tool.reprocheck.smoke]`` in pyproject.toml, or ``[smoke]`` in reprocheck.toml.

Pure: a mapping from a config file in, a validated ``SmokeSpec`` out, or a ``ConfigError`` naming the key
and the line. Paths are resolved against the directory of the config file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from reprocheck.errors import ConfigError
from reprocheck.lint.table import ConfigTable, show_size

if TYPE_CHECKING:
    from reprocheck.confine import ProjectRoot
    from reprocheck.model.build import ImageSource

MODES = ("exact", "text", "json")


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 0.0
    atol: float = 0.0
    ignore: bool = False
    floats_only: bool = False  # two JSON integers (class ids, counts) are compared exactly


# The spec's default tolerance for `compare = "json"` (rules/RC805-prediction-differs.md says why): a float64
# prediction computed on another CPU (another BLAS kernel, SIMD width or summation order) differs from the host's
# by a few units in the last place (relative 1e-16..1e-12), a float32 model's by a few of float32's (1e-7..1e-6);
# a changed model or library moves predictions by 1e-4 and more. rtol 1e-6 passes the first two and catches the
# third (pytest.approx's default); atol 1e-8 (numpy.isclose's) lets values near zero (a probability of 1e-12)
# differ by noise. Integers are never given the default tolerance: a class id or a count is not a measurement.
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8


@dataclass(frozen=True)
class ServeSpec:
    """A model server instead of a command: where it listens, how to know it is ready, what to ask it.

    Readiness is ``ready_http`` (a GET on that path answers 2xx), ``ready_log`` (a regular expression in the
    server's output), or else the port listening inside the container."""

    port: int
    path: str = "/"
    method: str = "POST"
    body: Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int = 200
    ready_http: str | None = None
    ready_log: str | None = None
    ready_timeout: float = 60.0
    record_command: tuple[str, ...] = ()  # what `record` starts on the host when `command` is left to the image

    @property
    def readiness(self) -> str:
        from reprocheck.backend.base import readiness

        return readiness(self.ready_http, self.ready_log, self.port)


@dataclass(frozen=True)
class SmokeSpec:
    root: Path  # directory of the config file: relative paths start here
    config_path: str  # the config file, as shown in messages
    context: Path
    dockerfile: Path
    command: tuple[str, ...]
    golden: Path
    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    output: str = "stdout"  # "stdout" or a relative path the command writes
    compare: str = "json"
    tolerance: Tolerance = Tolerance()
    keys: Mapping[str, Tolerance] = field(default_factory=dict)
    timeout: float = 120.0
    network: bool = False
    memory: str = "1g"
    cpus: float = 1.0
    pids: int = 256
    workdir: str | None = None
    user: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    lock: Path | None = None
    serve: ServeSpec | None = None
    runs: int = 2  # how many times `record` runs the prediction on the host (>= 2 finds nondeterminism)
    lines: Mapping[str, int] = field(default_factory=dict)  # key -> line in the config file
    allow_root: bool = False  # `user` may be root (shown as a warning)
    input_paths: tuple[Path, ...] = ()  # the inputs resolved inside the project: what is mounted
    max_output: int = 16 * 1024**2  # bytes of stdout, stderr or output file the prediction may write
    keep_images: int = 2  # smoke cache: images of this project kept
    # what production gives, declared so the sandbox matches the deployment (issue 25)
    read_only: bool = True  # `read-only = false`: production gives a writable root file system
    shm_size: int | None = None  # `shm-size`: production's /dev/shm (None: the engine's 64 MB)
    gpus: str | None = None  # "all" or a count: the prediction runs with GPUs (smoke/gpu.py)
    keep_env: tuple[str, ...] = ()  # variables whose values `record` keeps ("all": the record as probed)
    case: str = ""  # this case's name when the spec holds several (`cases`)
    cases: tuple[SmokeSpec, ...] = ()  # every case, each a whole spec (empty: one case, this spec)

    @property
    def each_case(self) -> tuple[SmokeSpec, ...]:
        return self.cases or (self,)

    @property
    def starts(self) -> tuple[tuple[SmokeSpec, ...], ...]:
        """The cases by container start: a case each in command mode; in serve mode one server for all the
        cases that share its command and inputs (a case that changes them gets a server of its own)."""
        if self.serve is None:
            return tuple((case,) for case in self.each_case)
        groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[SmokeSpec]] = {}
        for case in self.each_case:
            groups.setdefault((case.command, case.inputs), []).append(case)
        return tuple(tuple(group) for group in groups.values())

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.lines.get("", 1))

    def read_golden(self) -> bytes:
        """The golden output, held to ``max-output`` as the prediction's output is (its size is checked before
        anything is read: a sparse golden of gigabytes is refused, not loaded); ConfigError otherwise."""
        from reprocheck.model.bounded import TooLarge, read_limited

        try:
            return read_limited(self.golden, self.max_output)
        except TooLarge:
            raise ConfigError(
                f"smoke.golden: `{self.golden.name}` is larger than max-output = {show_size(self.max_output)}: "
                "no prediction can match it (raise `max-output` if the output really is that large)",
                path=self.config_path,
                line=self.line_of("golden"),
            ) from None
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"smoke.golden: `{self.golden.name}` cannot be read ({exc})",
                path=self.config_path,
                line=self.line_of("golden"),
            ) from None

    @property
    def source(self) -> ImageSource:
        from reprocheck.model.build import ImageSource

        outputs = [p for c in self.each_case for p in (c.golden, c.golden.with_name(c.golden.name + ".env.json"))]
        return ImageSource(
            self.root.name,
            self.context,
            self.dockerfile,
            self.target,
            self.build_args,
            self.root,
            self.keep_images,
            # record rewrites these: they must not invalidate the image unless the Dockerfile copies them
            not_copied(self.dockerfile, self.context, tuple(outputs)),
        )


def not_copied(dockerfile: Path, context: Path, paths: tuple[Path, ...]) -> frozenset[str]:
    """Of ``paths``, those inside the build context that no COPY/ADD of the Dockerfile can copy (context
    relative, posix). When in doubt (a variable in a source, an unreadable Dockerfile) a path counts as copied."""
    from fnmatch import fnmatchcase

    from reprocheck.model.dockerfile import CopyInstruction
    from reprocheck.parsing.dockerfile import parse_dockerfile

    try:
        df = parse_dockerfile(dockerfile.read_bytes(), str(dockerfile))
    except OSError:
        return frozenset()
    sources = [
        src.strip().lstrip("/").removeprefix("./").rstrip("/")
        for ins in df.instructions
        if isinstance(ins, CopyInstruction) and ins.from_stage is None
        for src in ins.sources
        if not src.startswith("<<")
    ]
    out = set()
    for path in paths:
        try:
            rel = path.relative_to(context).as_posix()
        except ValueError:
            continue  # not in the context: not in the digest anyway
        prefixes = [rel, *(p.as_posix() for p in PurePosixPath(rel).parents if p.as_posix() != ".")]
        if not any(src in ("", ".") or "$" in src or any(fnmatchcase(p, src) for p in prefixes) for src in sources):
            out.add(rel)
    return frozenset(out)


_KNOWN = {
    "context",
    "dockerfile",
    "target",
    "build-args",
    "command",
    "inputs",
    "output",
    "golden",
    "compare",
    "rtol",
    "atol",
    "keys",
    "timeout",
    "network",
    "memory",
    "cpus",
    "pids",
    "workdir",
    "user",
    "allow-root",
    "env",
    "lock",
    "serve",
    "max-output",
    "keep-images",
    "runs",
    "read-only",
    "shm-size",
    "gpus",
    "keep-env",
    "cases",
}
_CASE_KNOWN = {"name", "golden", "command", "inputs", "body"}
MAX_OUTPUT = 16 * 1024**2
DAY = 86400.0


def memory_bytes(text: str) -> int:
    """``"512m"``/``"1g"``/``"256MiB"`` -> bytes (Docker's units: k, m, g are powers of 1024)."""
    from reprocheck.lint.table import size_bytes

    return size_bytes(text)


def _tolerance(t: ConfigTable, path: str, tol: object) -> Tolerance:
    if tol == "ignore":
        return Tolerance(ignore=True)
    if (
        isinstance(tol, dict)
        and set(tol) <= {"rtol", "atol"}
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in tol.values()
        )
    ):
        return Tolerance(float(tol.get("rtol", 0.0)), float(tol.get("atol", 0.0)))
    raise t.error("keys", f'`{path}` must be {{ rtol = ..., atol = ... }} (finite, >= 0) or "ignore"')


def _container_path(t: ConfigTable, key: str, value: str, absolute: bool) -> None:
    parts = PurePosixPath(value).parts
    if ".." in parts:
        raise t.error(key, f"`{value}` must not contain `..`")
    if absolute and not value.startswith("/"):
        raise t.error(key, f"`{value}` must be an absolute path in the container, such as /app")
    if not absolute and value.startswith("/"):
        raise t.error(key, f"`{value}` must be relative to the working directory, inside it")


def parse_spec(table: Mapping[str, Any], root: Path, config_path: str, text: str = "") -> SmokeSpec:
    """Validate a smoke table; every mistake is a ConfigError with the key and its line. Every path is
    resolved inside the project (``root``) or refused."""
    from reprocheck.confine import ProjectRoot, is_root_user

    t = ConfigTable(table, config_path, text, "smoke")
    project = ProjectRoot.of(root)
    t.unknown(_KNOWN)
    command = table.get("command")
    if command is None and "serve" not in table and not table.get("cases"):
        raise t.error("command", 'is required: the prediction command in exec form, e.g. ["python", "predict.py"]')
    if command is not None and (
        not isinstance(command, list) or not command or not all(isinstance(c, str) and "\0" not in c for c in command)
    ):
        raise t.error("command", "must be a non-empty list of strings (exec form)")
    raw_cases = table.get("cases")
    if raw_cases is not None and (
        not isinstance(raw_cases, list) or not raw_cases or not all(isinstance(c, dict) for c in raw_cases)
    ):
        raise t.error("cases", "must be a list of tables ([[tool.reprocheck.smoke.cases]]) with `name` and `golden`")
    golden_raw = t.string("golden")
    if not golden_raw and raw_cases:
        golden_raw = raw_cases[0].get("golden") if isinstance(raw_cases[0].get("golden"), str) else None
    if not golden_raw:
        raise t.error("golden", "is required: the file that holds the expected output")
    golden = project.path_of(golden_raw, t.failer("golden"))
    if golden.is_dir():
        raise t.error("golden", f"`{golden_raw}` is a directory, not a file")
    record = golden.with_name(golden.name + ".env.json")
    if record.is_symlink():
        project.path_of(str(record), t.failer("golden"))
    mode = t.string("compare", "json", choices=MODES) or "json"
    output = t.string("output", "stdout") or "stdout"
    if output != "stdout":
        _container_path(t, "output", output, absolute=False)
    inputs = t.strings("inputs")
    input_paths = []
    for inp in inputs:
        _container_path(t, "inputs", inp, absolute=False)
        input_paths.append(project.mountable(inp, t.failer("inputs")))
    memory_raw = table.get("memory", "1g")
    memory_n = t.size("memory", "1g", minimum=6 * 1024**2, maximum=1024**4)
    memory = memory_raw if isinstance(memory_raw, str) else show_size(memory_n)
    raw_keys = table.get("keys", {})
    if not isinstance(raw_keys, dict):
        raise t.error("keys", 'must be a table of key paths to { rtol, atol } or "ignore"')
    keys = {str(path): _tolerance(t, str(path), tol) for path, tol in raw_keys.items()}
    context = project.path_of(t.string("context", ".") or ".", t.failer("context"), must="dir")
    dockerfile = project.path_of(
        t.string("dockerfile", "Dockerfile") or "Dockerfile", t.failer("dockerfile"), base=context, must="file"
    )
    lock_raw = t.string("lock")
    lock = project.path_of(lock_raw, t.failer("lock")) if lock_raw else None
    workdir = t.string("workdir")
    if workdir is not None:
        _container_path(t, "workdir", workdir, absolute=True)
    user = t.string("user")
    allow_root = t.boolean("allow-root")
    if user is not None and not user.strip():
        raise t.error("user", "must not be empty")
    if user is not None and is_root_user(user) and not allow_root:
        raise t.error(
            "user",
            f"`{user}` runs the project's code as root in the container: refused unless `allow-root = true`",
        )
    serve = None
    if "serve" in table:
        if not isinstance(table["serve"], dict):
            raise t.error("serve", "must be a table: [tool.reprocheck.smoke.serve] with at least `port`")
        serve = _parse_serve(t.sub("serve"), project)
    from reprocheck.smoke.gpu import parse_gpus

    try:
        gpus = parse_gpus(table.get("gpus"))
    except ValueError as exc:
        raise t.error("gpus", str(exc)) from None
    keep_env_raw = table.get("keep-env", [])
    if keep_env_raw == "all":
        keep_env: tuple[str, ...] = ("all",)
    elif isinstance(keep_env_raw, list) and all(isinstance(x, str) and x for x in keep_env_raw):
        keep_env = tuple(keep_env_raw)
    else:
        raise t.error("keep-env", 'must be a list of environment variable names, or "all"')
    if serve is not None and output != "stdout":
        raise t.error("output", "a server's output is its response: leave `output` out in serve mode")
    spec = SmokeSpec(
        root=project.path,
        config_path=config_path,
        context=context,
        dockerfile=dockerfile,
        command=tuple(command or ()),
        golden=golden,
        target=t.string("target"),
        build_args=t.str_table("build-args"),
        inputs=inputs,
        output=output,
        compare=mode,
        tolerance=Tolerance(t.number("rtol", DEFAULT_RTOL), t.number("atol", DEFAULT_ATOL), floats_only=True),
        keys=keys,
        timeout=t.number("timeout", 120.0, minimum=1.0, maximum=DAY, unit=" s"),
        network=t.boolean("network"),
        memory=memory,
        cpus=t.number("cpus", 1.0, minimum=0.01, maximum=1024.0),
        pids=int(t.number("pids", 256, minimum=8, maximum=4194304, integer=True)),
        workdir=workdir,
        user=user,
        env=t.str_table("env"),
        lock=lock,
        serve=serve,
        runs=int(t.number("runs", 2, minimum=1, maximum=100, integer=True)),
        lines=t.lines(_KNOWN),
        allow_root=allow_root,
        input_paths=tuple(input_paths),
        max_output=t.size("max-output", "16m", minimum=1024, maximum=4 * 1024**3),
        keep_images=int(t.number("keep-images", 2, minimum=1, maximum=100, integer=True)),
        read_only=t.boolean("read-only", True),
        shm_size=t.size("shm-size", "64m", minimum=1024**2, maximum=1024**4) if "shm-size" in table else None,
        gpus=gpus,
        keep_env=keep_env,
    )
    if raw_cases:
        spec = replace(spec, cases=_cases(t, spec, raw_cases, project))
    return spec


def _cases(t: ConfigTable, spec: SmokeSpec, raw: list[dict[str, Any]], project: ProjectRoot) -> tuple[SmokeSpec, ...]:
    """Each case as a whole spec: the table's settings, with its own name, golden, and command, inputs or body."""
    out: list[SmokeSpec] = []
    seen: set[str] = set()
    for index, case in enumerate(raw, 1):
        where = f"cases[{index}]"
        unknown = sorted(set(case) - _CASE_KNOWN)
        if unknown:
            raise t.error("cases", f"{where}: unknown key `{unknown[0]}` (known: {', '.join(sorted(_CASE_KNOWN))})")
        name, golden_raw = case.get("name"), case.get("golden")
        if not isinstance(name, str) or not name.strip():
            raise t.error("cases", f"{where}: `name` is required (a short label for the report)")
        if name in seen:
            raise t.error("cases", f"{where}: the name `{name}` is used twice")
        seen.add(name)
        if not isinstance(golden_raw, str) or not golden_raw:
            raise t.error("cases", f"{where} ({name}): `golden` is required: the file that holds its expected output")
        golden = project.path_of(golden_raw, t.failer("cases"))
        goldens = [c.golden for c in out]
        if golden in goldens:
            raise t.error("cases", f"{where} ({name}): `{golden_raw}` is the golden of another case")
        command = case.get("command", list(spec.command))
        if not isinstance(command, list) or not all(isinstance(c, str) and "\0" not in c for c in command):
            raise t.error("cases", f"{where} ({name}): `command` must be a list of strings (exec form)")
        inputs = case.get("inputs", list(spec.inputs))
        if not isinstance(inputs, list) or not all(isinstance(i, str) and i for i in inputs):
            raise t.error("cases", f"{where} ({name}): `inputs` must be a list of relative paths")
        for inp in inputs:
            _container_path(t, "cases", inp, absolute=False)
        input_paths = tuple(project.mountable(inp, t.failer("cases")) for inp in inputs)
        serve = spec.serve
        if "body" in case:
            if serve is None:
                raise t.error("cases", f"{where} ({name}): `body` is for serve mode (a [smoke.serve] table)")
            if not isinstance(case["body"], str) or not case["body"]:
                raise t.error("cases", f"{where} ({name}): `body` must be a file name")
            serve = replace(serve, body=project.path_of(case["body"], t.failer("cases"), must="file"))
        out.append(
            replace(
                spec,
                case=name,
                golden=golden,
                command=tuple(command),
                inputs=tuple(inputs),
                input_paths=input_paths,
                serve=serve,
                cases=(),
            )
        )
    return tuple(out)


_SERVE_KNOWN = {
    "port",
    "path",
    "method",
    "body",
    "headers",
    "status",
    "ready-http",
    "ready-log",
    "ready-timeout",
    "record-command",
}
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _parse_serve(t: ConfigTable, project: ProjectRoot) -> ServeSpec:
    table = t.data
    t.unknown(_SERVE_KNOWN)
    port = table.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise t.error("port", "is required: the port the server listens on inside the container (1-65535)")
    for key in ("path", "method", "body", "ready-http", "ready-log"):
        if key in table and not (isinstance(table[key], str) and table[key]):
            raise t.error(key, "must be a non-empty string")
    path = str(table.get("path", "/"))
    if problem := _bad_request_path(path):
        raise t.error("path", problem)
    method = str(table.get("method", "POST")).upper()
    if method not in _METHODS:
        raise t.error("method", f"must be one of {', '.join(_METHODS)}")
    body = None
    if "body" in table:
        body = project.path_of(str(table["body"]), t.failer("body"), must="file")
    headers = table.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(v, str) and "\n" not in v and "\r" not in v for v in headers.values()
    ):
        raise t.error("headers", "must be a table of header names to one-line strings")
    if problem := _bad_headers(headers):
        raise t.error("headers", problem)
    status = table.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status < 600:
        raise t.error("status", "must be an HTTP status code")
    if "ready-http" in table and "ready-log" in table:
        raise t.error(
            "ready-log", "give one readiness check: `ready-http` or `ready-log` (neither: the port listening)"
        )
    ready_http = table.get("ready-http")
    if ready_http is not None and (problem := _bad_request_path(str(ready_http))):
        raise t.error("ready-http", problem)
    ready_log = table.get("ready-log")
    if ready_log is not None:
        from reprocheck.backend.logmatch import compile_log_pattern

        try:
            compile_log_pattern(str(ready_log))
        except ValueError as exc:
            raise t.error("ready-log", str(exc)) from None
    timeout = t.number("ready-timeout", 60.0, minimum=0.1, maximum=DAY, unit=" s")
    record_command = table.get("record-command", [])
    if not isinstance(record_command, list) or not all(isinstance(c, str) and c for c in record_command):
        raise t.error("record-command", "must be a list of strings (exec form): the server command `record` runs here")
    return ServeSpec(
        port=port,
        path=path,
        method=method,
        body=body,
        headers={str(k): v for k, v in headers.items()},
        status=status,
        ready_http=str(ready_http) if ready_http else None,
        ready_log=str(ready_log) if ready_log else None,
        ready_timeout=timeout,
        record_command=tuple(record_command),
    )


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _bad_request_path(path: str) -> str | None:
    """Why ``path`` cannot go on a request line as it is (None when it can)."""
    if not path.startswith("/"):
        return f"must be an absolute path, starting with / (got {path!r})"
    bad = next((c for c in path if not "!" <= c <= "~"), None)
    if bad is not None:
        what = "a space" if bad == " " else f"{bad!r}"
        return f"contains {what}: only printable ASCII without spaces fits a request line (percent-encode the rest)"
    return None


def _bad_headers(headers: Mapping[str, object]) -> str | None:
    for name, value in headers.items():
        if not name or not set(name) <= _TOKEN:
            return f"name {name!r} is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)"
        text = str(value)
        bad = next((c for c in text if (c < " " and c != "\t") or c == "\x7f" or ord(c) > 0xFF), None)
        if bad is not None:
            return f"value of {name!r} contains {bad!r}: a header value is one line of text without control characters"
    return None


def load_spec(config: Path | None, start: Path) -> SmokeSpec:
    """Find the config (``--config`` or the nearest one from ``start``) and read its smoke table."""
    from reprocheck.lint.config import find_config, reprocheck_table

    path = config or find_config(start)
    if path is None:
        raise ConfigError(
            "no smoke spec: add [tool.reprocheck.smoke] to pyproject.toml (or [smoke] to reprocheck.toml)",
            path=str(start),
        )
    table, text = reprocheck_table(path)
    smoke = table.get("smoke")
    if not isinstance(smoke, dict):
        raise ConfigError("no [smoke] table in this configuration", path=str(path))
    return parse_spec(smoke, path.parent.resolve(), str(path), text)
