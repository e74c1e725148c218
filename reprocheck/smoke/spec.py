"""The smoke spec: ``[tool.reprocheck.smoke]`` in pyproject.toml, or ``[smoke]`` in reprocheck.toml.

Pure: a mapping from a config file in, a validated ``SmokeSpec`` out, or a ``ConfigError`` naming the key
and the line. Paths are resolved against the directory of the config file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reprocheck.errors import ConfigError

if TYPE_CHECKING:
    from reprocheck.backend.images import ImageSource

MODES = ("exact", "text", "json")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgKMG]i?[bB]?|[bB])?$")


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 0.0
    atol: float = 0.0
    ignore: bool = False


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

    @property
    def readiness(self) -> str:
        if self.ready_http:
            return f"HTTP GET {self.ready_http} answering 2xx"
        if self.ready_log:
            return f"a log line matching `{self.ready_log}`"
        return f"port {self.port} listening"


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

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.lines.get("", 1))

    @property
    def source(self) -> ImageSource:
        from reprocheck.backend.images import ImageSource

        return ImageSource(self.root.name, self.context, self.dockerfile, self.target, self.build_args)


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
    "env",
    "lock",
    "serve",
    "runs",
}


def memory_bytes(text: str) -> int:
    """``"512m"``/``"1g"``/``"256MiB"`` -> bytes (Docker's units: k, m, g are powers of 1024)."""
    m = _SIZE.match(text.strip())
    if m is None:
        raise ValueError(f"`{text}` is not a size such as 512m or 2g")
    unit = (m.group(2) or "b")[0].lower()
    return int(float(m.group(1)) * {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit])


def _line_finder(text: str, section_start: int) -> Any:
    def find(key: str) -> int | None:
        pat = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""", re.MULTILINE)
        m = pat.search(text, section_start)
        return text.count("\n", 0, m.start()) + 1 if m else None

    return find


def parse_spec(table: Mapping[str, Any], root: Path, config_path: str, text: str = "") -> SmokeSpec:
    """Validate a smoke table; every mistake is a ConfigError with the key and its line."""
    start = 0
    m = re.search(r"^\s*\[(tool\.reprocheck\.)?smoke\]", text, re.MULTILINE)
    if m:
        start = m.start()
    find = _line_finder(text, start)
    section_line = text.count("\n", 0, start) + 1 if m else 1

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"smoke.{key}: {message}", path=config_path, line=find(key) or section_line)

    for key in table:
        if key not in _KNOWN:
            raise fail(key, f"unknown key (known keys: {', '.join(sorted(_KNOWN))})")

    def string(key: str, default: str | None = None) -> str | None:
        value = table.get(key, default)
        if value is not None and not isinstance(value, str):
            raise fail(key, "must be a string")
        return value

    def number(key: str, default: float, minimum: float = 0.0) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise fail(key, f"must be a number >= {minimum:g}")
        return float(value)

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "must be a list of strings")
        return tuple(value)

    def str_table(key: str) -> dict[str, str]:
        value = table.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
            raise fail(key, "must be a table of names to strings")
        return {str(k): str(v) for k, v in value.items()}

    command = table.get("command")
    if command is None and "serve" not in table:
        raise fail("command", 'is required: the prediction command in exec form, e.g. ["python", "predict.py"]')
    if command is not None and (
        not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command)
    ):
        raise fail("command", "must be a non-empty list of strings (exec form)")
    golden = string("golden")
    if not golden:
        raise fail("golden", "is required: the file that holds the expected output")
    mode = string("compare", "json") or "json"
    if mode not in MODES:
        raise fail("compare", f"must be one of {', '.join(MODES)}")
    output = string("output", "stdout") or "stdout"
    if output != "stdout" and (output.startswith("/") or ".." in Path(output).parts):
        raise fail("output", "must be `stdout` or a path relative to the working directory")
    for inp in strings("inputs"):
        if inp.startswith("/") or ".." in Path(inp).parts:
            raise fail("inputs", f"`{inp}` must be relative to the project, inside it")
        if not (root / inp).exists():
            raise fail("inputs", f"`{inp}` does not exist")
    memory = string("memory", "1g") or "1g"
    try:
        memory_bytes(memory)
    except ValueError as exc:
        raise fail("memory", str(exc)) from None
    network = table.get("network", False)
    if not isinstance(network, bool):
        raise fail("network", "must be true or false")
    keys: dict[str, Tolerance] = {}
    raw_keys = table.get("keys", {})
    if not isinstance(raw_keys, dict):
        raise fail("keys", 'must be a table of key paths to { rtol, atol } or "ignore"')
    for path, tol in raw_keys.items():
        if tol == "ignore":
            keys[path] = Tolerance(ignore=True)
        elif (
            isinstance(tol, dict)
            and set(tol) <= {"rtol", "atol"}
            and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in tol.values())
        ):
            keys[path] = Tolerance(float(tol.get("rtol", 0.0)), float(tol.get("atol", 0.0)))
        else:
            raise fail("keys", f'`{path}` must be {{ rtol = ..., atol = ... }} or "ignore"')
    context = root / (string("context", ".") or ".")
    if not context.is_dir():
        raise fail("context", f"`{context}` is not a directory")
    dockerfile = context / (string("dockerfile", "Dockerfile") or "Dockerfile")
    if not dockerfile.is_file():
        raise fail("dockerfile", f"`{dockerfile}` does not exist")
    lock = string("lock")
    serve = None
    if "serve" in table:
        m_serve = re.search(r"^\s*\[(tool\.reprocheck\.)?smoke\.serve\]", text, re.MULTILINE)
        find_serve = _line_finder(text, m_serve.start()) if m_serve else find

        def fail_serve(key: str, message: str) -> ConfigError:
            line = find_serve(key) or (text.count("\n", 0, m_serve.start()) + 1 if m_serve else section_line)
            return ConfigError(f"smoke.serve.{key}: {message}", path=config_path, line=line)

        serve = _parse_serve(table["serve"], root, fail_serve)
    if serve is not None and output != "stdout":
        raise fail("output", "a server's output is its response: leave `output` out in serve mode")
    lines = {k: find(k) or section_line for k in _KNOWN}
    lines[""] = section_line
    return SmokeSpec(
        root=root,
        config_path=config_path,
        context=context,
        dockerfile=dockerfile,
        command=tuple(command or ()),
        golden=root / golden,
        target=string("target"),
        build_args=str_table("build-args"),
        inputs=strings("inputs"),
        output=output,
        compare=mode,
        tolerance=Tolerance(number("rtol", 0.0), number("atol", 0.0)),
        keys=keys,
        timeout=number("timeout", 120.0, minimum=1.0),
        network=network,
        memory=memory,
        cpus=number("cpus", 1.0, minimum=0.01),
        pids=int(number("pids", 256, minimum=8)),
        workdir=string("workdir"),
        user=string("user"),
        env=str_table("env"),
        lock=root / lock if lock else None,
        serve=serve,
        runs=int(number("runs", 2, minimum=1)),
        lines=lines,
    )


_SERVE_KNOWN = {"port", "path", "method", "body", "headers", "status", "ready-http", "ready-log", "ready-timeout"}
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _parse_serve(table: object, root: Path, fail: Any) -> ServeSpec:
    if not isinstance(table, dict):
        raise fail("port", "`serve` must be a table: [tool.reprocheck.smoke.serve] with at least `port`")
    for key in table:
        if key not in _SERVE_KNOWN:
            raise fail(key, f"unknown key (known keys: {', '.join(sorted(_SERVE_KNOWN))})")
    port = table.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise fail("port", "is required: the port the server listens on inside the container (1-65535)")
    for key in ("path", "method", "body", "ready-http", "ready-log"):
        if key in table and not (isinstance(table[key], str) and table[key]):
            raise fail(key, "must be a non-empty string")
    path = str(table.get("path", "/"))
    if not path.startswith("/"):
        raise fail("path", "must start with /")
    method = str(table.get("method", "POST")).upper()
    if method not in _METHODS:
        raise fail("method", f"must be one of {', '.join(_METHODS)}")
    body = None
    if "body" in table:
        body = root / str(table["body"])
        if not body.is_file():
            raise fail("body", f"`{table['body']}` does not exist")
    headers = table.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise fail("headers", "must be a table of header names to strings")
    status = table.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status < 600:
        raise fail("status", "must be an HTTP status code")
    if "ready-http" in table and "ready-log" in table:
        raise fail("ready-log", "give one readiness check: `ready-http` or `ready-log` (neither: the port listening)")
    ready_http = table.get("ready-http")
    if ready_http is not None and not str(ready_http).startswith("/"):
        raise fail("ready-http", "must be a path starting with /")
    ready_log = table.get("ready-log")
    if ready_log is not None:
        try:
            re.compile(str(ready_log))
        except re.error as exc:
            raise fail("ready-log", f"is not a regular expression: {exc}") from None
    timeout = table.get("ready-timeout", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise fail("ready-timeout", "must be a number of seconds > 0")
    return ServeSpec(
        port=port,
        path=path,
        method=method,
        body=body,
        headers={str(k): v for k, v in headers.items()},
        status=status,
        ready_http=str(ready_http) if ready_http else None,
        ready_log=str(ready_log) if ready_log else None,
        ready_timeout=float(timeout),
    )


def load_spec(config: Path | None, start: Path) -> SmokeSpec:
    """Find the config (``--config`` or the nearest one from ``start``) and read its smoke table."""
    from reprocheck.engine.config import find_config, reprocheck_table

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


@dataclass(frozen=True)
class BuildTarget:
    """What to build when a command needs an image: from the smoke table when there is one, else the
    Dockerfile given (or ./Dockerfile) with its context."""

    config: Path | None
    source: ImageSource


def load_build(
    config: Path | None, start: Path, dockerfile: str | None = None, context: str | None = None
) -> BuildTarget:
    from reprocheck.backend.images import ImageSource
    from reprocheck.engine.config import find_config, reprocheck_table

    path = config or find_config(start)
    table: dict[str, Any] = {}
    if path is not None:
        top, _ = reprocheck_table(path)
        smoke = top.get("smoke")
        table = smoke if isinstance(smoke, dict) else {}
    if dockerfile is None and (table.get("command") or table.get("serve")) and path is not None:
        spec = load_spec(path, start)
        return BuildTarget(path, spec.source)
    root = path.parent.resolve() if path is not None and dockerfile is None else start.resolve()
    df = Path(dockerfile).resolve() if dockerfile else root / str(table.get("dockerfile", "Dockerfile"))
    if not df.is_file():
        raise ConfigError(f"no Dockerfile at `{df}` (give one with --dockerfile)")
    if context:
        ctx = Path(context).resolve()
    elif "context" in table and dockerfile is None:
        ctx = root / str(table["context"])
    else:
        from reprocheck.engine.project import choose_context
        from reprocheck.parsing.dockerfile import parse_dockerfile

        ctx, _ = choose_context(df, parse_dockerfile(df.read_bytes(), str(df)), None)
    if not ctx.is_dir():
        raise ConfigError(f"the build context `{ctx}` is not a directory")
    target = table.get("target") if dockerfile is None else None
    args = table.get("build-args", {}) if dockerfile is None else {}
    name = (ctx if ctx.name else df.parent).name or "project"
    return BuildTarget(
        path,
        ImageSource(
            name, ctx, df, target if isinstance(target, str) else None, {str(k): str(v) for k, v in args.items()}
        ),
    )
