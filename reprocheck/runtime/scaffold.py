"""``reprocheck init``: a commented smoke table for a project, written into its configuration file.

Never overwrites: a configuration that already has a smoke table is left alone. The file is written whole
or not at all (atomically), keeping its line endings and mode; the new text is parsed before it is written."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from reprocheck.errors import ConfigError, UsageError
from reprocheck.files import write_atomic
from reprocheck.lint.project import display
from reprocheck.runtime.image_server import ImageServer, read_image_server

_SCRIPTS = ("predict.py", "main.py", "app.py", "serve.py", "server.py")
_SERVER = re.compile(r"\b(uvicorn|flask|Flask|FastAPI|fastapi|HTTPServer|aiohttp)\b")
_PORT = re.compile(r"\bport\s*=\s*(\d{2,5})\b")
_MAX_SCRIPT = 1024 * 1024


class SmokeTableExists(UsageError):
    """The configuration already has a smoke table: init leaves it (the command says so and succeeds)."""


@dataclass(frozen=True)
class Detected:
    """What the project looks like: the script that predicts, and whether it is a server (and its port)."""

    script: str | None
    server: bool = False
    port: int = 8000
    image: ImageServer | None = None  # the Dockerfile's own server (ENTRYPOINT/CMD), when it runs one


@dataclass(frozen=True)
class Initialised:
    path: Path
    created: bool  # the configuration file did not exist
    detected: Detected


def _read_script(path: Path) -> str | None:
    if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_SCRIPT:
        return None
    return path.read_text(encoding="utf-8", errors="replace")


def image_server(root: Path) -> ImageServer | None:
    """The server the project's Dockerfile runs (gunicorn, uvicorn, waitress... with a port), else None."""
    from reprocheck.parsing.dockerfile import parse_dockerfile

    text = _read_script(root / "Dockerfile")
    if text is None:
        return None
    found = read_image_server(parse_dockerfile(text, "Dockerfile"))
    return found if found is not None and found.server and found.port else None


def detect(root: Path) -> Detected:
    """The image's own server when the Dockerfile runs one; else the first of predict.py, main.py, app.py,
    serve.py, server.py, a server when it uses one."""
    served = image_server(root)
    if served is not None and served.port is not None:
        return Detected(None, True, served.port, served)
    for name in _SCRIPTS:
        text = _read_script(root / name)
        if text is None:
            continue
        if _SERVER.search(text):
            m = _PORT.search(text)
            default = 5000 if re.search(r"\b[Ff]lask\b", text) else 8000
            return Detected(name, True, int(m.group(1)) if m and 0 < int(m.group(1)) < 65536 else default)
        return Detected(name)
    return Detected(None)


def smoke_table(detected: Detected, prefix: str = "tool.reprocheck.") -> str:
    """The commented table (with ``\\n`` line endings), for pyproject.toml (prefix) or reprocheck.toml ("")."""
    if detected.image is not None:
        return _image_table(detected.image, prefix)
    script = detected.script or "predict.py"
    guess = "" if detected.script else "  # no predict.py, main.py or app.py found: name your script"
    lines = [
        f"[{prefix}smoke]",
        "# The prediction reprocheck runs inside the built image (exec form), sandboxed: no network,",
        "# read-only file system, a non-root user. `reprocheck record` runs it here first.",
        f'command = ["python", "{script}"]{guess}',
        "# Its expected output, written on this machine by `reprocheck record`.",
        'golden = "golden.json"',
        '# "json" compares numbers within rtol/atol; "text" and "exact" compare the output as it is.',
        'compare = "json"',
        "# Floats match within |actual - expected| <= atol + rtol * |expected|; integers match exactly.",
        "# The defaults pass a float model's noise across CPUs and catch a changed model:",
        "# rtol = 1e-6  # default",
        "# atol = 1e-8  # default",
        "# Files the prediction reads, mounted read-only (paths relative to this file):",
        '# inputs = ["data/sample.csv"]',
        '# output = "stdout"  # or the file the command writes',
        "# timeout = 120  # seconds",
        '# memory = "1g"',
    ]
    if detected.server:
        lines += [
            "",
            f"[{prefix}smoke.serve]",
            f"# {script} starts a server: reprocheck starts it, waits until it is ready, sends one request",
            "# and compares the response with the golden file.",
            f"port = {detected.port}",
            'method = "POST"',
            'path = "/predict"',
            '# body = "request.json"',
            '# headers = { "Content-Type" = "application/json" }',
            '# ready-http = "/health"  # else: the port listening',
        ]
    return "\n".join(lines) + "\n"


def _image_table(served: ImageServer, prefix: str) -> str:
    """Serve mode against the image's own server: no `command` (it would replace ENTRYPOINT/CMD)."""
    import json

    lines = [
        f"[{prefix}smoke]",
        f"# The image runs its own server: `{served.shown}` (Dockerfile line {served.line}).",
        "# No `command` here: smoke starts the image's ENTRYPOINT/CMD as they are, sandboxed, and sends it a",
        "# request (a `command` would replace them, and the smoke test would test another program).",
        "# Its expected response, written on this machine by `reprocheck record`.",
        'golden = "golden.json"',
        '# "json" compares numbers within rtol/atol; "text" and "exact" compare the output as it is.',
        'compare = "json"',
        "# Floats match within |actual - expected| <= atol + rtol * |expected|; integers match exactly.",
        "# rtol = 1e-6  # default",
        "# atol = 1e-8  # default",
        "",
        f"[{prefix}smoke.serve]",
        f"port = {served.port}  # from {served.port_from}",
        f"# `record` starts the same server on this machine ({served.server}), waits, asks, keeps the answer:",
        f"record-command = {json.dumps(list(served.host_argv))}",
        'method = "POST"',
        'path = "/predict"  # the route your server answers',
        '# body = "request.json"',
        '# headers = { "Content-Type" = "application/json" }',
        '# ready-http = "/health"  # else: the port listening',
    ]
    return "\n".join(lines) + "\n"


def _config_file(root: Path) -> tuple[Path, str]:
    for name in (".reprocheck.toml", "reprocheck.toml"):
        if (root / name).exists():
            return root / name, ""
    return root / "pyproject.toml", "tool.reprocheck."


def _has_smoke(data: dict[str, object], prefix: str) -> bool:
    table: object = data
    for key in (*prefix.rstrip(".").split("."), "smoke") if prefix else ("smoke",):
        if not isinstance(table, dict) or key not in table:
            return False
        table = table[key]
    return True


def init(project: Path) -> Initialised:
    """Add a commented smoke table to the project's configuration file (created when missing)."""
    root = project
    if not root.is_dir():
        raise UsageError(f"`{display(project)}` is not a directory")
    path, prefix = _config_file(root)
    detected = detect(root)
    old = b""
    if path.exists() or path.is_symlink():
        if path.is_symlink() or not path.is_file():
            raise UsageError("is not a regular file; not changed", path=display(path))
        old = path.read_bytes()
    try:
        text = old.decode("utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot add a table to a file that does not parse: {exc}", path=display(path)) from None
    if _has_smoke(data, prefix):
        raise SmokeTableExists(f"already has a [{prefix}smoke] table; nothing was changed", path=display(path))
    newline = "\r\n" if "\r\n" in text else "\n"
    table = smoke_table(detected, prefix).replace("\n", newline)
    separator = "" if not text else ("" if text.endswith("\n") else newline) + newline
    new = text + separator + table
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:  # e.g. a [tool.reprocheck.smoke.x] table already there
        raise ConfigError(
            f"adding the smoke table would break the file ({exc}); nothing was changed", path=display(path)
        ) from None
    write_atomic(path, new.encode("utf-8"))
    return Initialised(path, not old, detected)
