"""What the image runs by itself: the final stage's ENTRYPOINT and CMD, its EXPOSE and ``ENV PORT``, and
whether that command is a model server (gunicorn, uvicorn, waitress, hypercorn, ``flask run``) and on which
port. ``init`` proposes serve mode against this server instead of guessing a script, so the smoke test tests
the program the image really runs. Pure: a parsed Dockerfile in."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

from reprocheck.model.dockerfile import Dockerfile, KeyValueInstruction

_SERVERS = re.compile(r"(?:^|[\s/])(gunicorn|uvicorn|waitress-serve|hypercorn|flask\s+run|daphne)\b")
_BIND = re.compile(
    r"(?:--bind|-b|--listen|--host-port)[=\s]+['\"]?(?:[\w.\[\]:-]*:)?(\$\{?PORT\}?|\d{2,5})\b"
    r"|--port[=\s]+['\"]?(\$\{?PORT\}?|\d{2,5})\b"
    r"|-p\s+(\$\{?PORT\}?|\d{2,5})\b"
)
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}?")


@dataclass(frozen=True)
class ImageServer:
    """The image's own command, and what serve mode needs to test it."""

    argv: tuple[str, ...]  # ENTRYPOINT + CMD as the container runs them (shell form: sh -c ...)
    line: int  # the instruction that gives the command (the CMD, else the ENTRYPOINT)
    entrypoint: tuple[str, ...] = ()
    server: str | None = None  # gunicorn, uvicorn, waitress-serve... (None: not a known server)
    port: int | None = None
    port_from: str = ""  # "--bind 0.0.0.0:$PORT and ENV PORT=8000 (line 7)", "EXPOSE 8000 (line 9)"
    host_argv: tuple[str, ...] = ()  # the same command with the image's ENV substituted: what `record` runs

    @property
    def shown(self) -> str:
        return " ".join(self.argv)


def _command(ins_value: str) -> tuple[tuple[str, ...], bool]:
    """(argv, exec form?) of a CMD/ENTRYPOINT value."""
    text = ins_value.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            return tuple(value), True
    return ("/bin/sh", "-c", text), False


def _expand(text: str, env: dict[str, str]) -> str:
    return _VAR.sub(lambda m: env.get(m.group(1), m.group(2) or m.group(0)), text)


def read_image_server(df: Dockerfile, target: str | None = None) -> ImageServer | None:
    """The final stage's command and its server and port, or None when the image sets no command."""
    if not df.stages:
        return None
    stage = df.final_stage(target)
    env: dict[str, str] = {}
    env_lines: dict[str, int] = {}
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    cmd_shell = entry_shell = False
    line = 0
    exposed: tuple[int, int] | None = None  # (port, line)
    for ins in df.in_stage(stage):
        if ins.keyword == "ENV" and isinstance(ins, KeyValueInstruction):
            for name, value in ins.pairs:
                if value is not None:
                    env[name], env_lines[name] = _expand(value, env), ins.line
        elif ins.keyword == "ENTRYPOINT":
            entrypoint, exec_form = _command(ins.value)
            entry_shell, cmd, line = not exec_form, (), ins.line  # ENTRYPOINT resets CMD
        elif ins.keyword == "CMD":
            cmd, exec_form = _command(ins.value)
            cmd_shell, line = not exec_form, ins.line
        elif ins.keyword == "EXPOSE" and exposed is None:
            m = re.match(r"\s*(\d{2,5})", _expand(ins.value, env))
            if m:
                exposed = (int(m.group(1)), ins.line)
    argv = (*entrypoint, *cmd) if not entry_shell else entrypoint
    if not argv:
        return None
    words = argv[2] if (cmd_shell or entry_shell) and len(argv) == 3 else " ".join(argv)
    found = _SERVERS.search(words)
    server = re.sub(r"\s+", " ", found.group(1)) if found else None
    port: int | None = None
    port_from = ""
    bind = _BIND.search(words)
    if bind:
        raw = next(g for g in bind.groups() if g)
        if raw.startswith("$"):
            name = raw.strip("${}")
            if env.get(name, "").isdigit():
                port = int(env[name])
                port_from = f"`{bind.group(0)}` and ENV {name}={env[name]} (line {env_lines[name]})"
        else:
            port, port_from = int(raw), f"`{bind.group(0)}` (line {line})"
    if port is None and env.get("PORT", "").isdigit():
        port, port_from = int(env["PORT"]), f"ENV PORT={env['PORT']} (line {env_lines['PORT']})"
    if port is None and exposed is not None:
        port, port_from = exposed[0], f"EXPOSE {exposed[0]} (line {exposed[1]})"
    if port is not None and not 0 < port < 65536:
        port, port_from = None, ""
    try:
        host = tuple(shlex.split(_expand(words, env))) if (cmd_shell or entry_shell) else argv
    except ValueError:
        host = argv
    host = tuple(_expand(w, env) for w in host)
    return ImageServer(argv, line, entrypoint, server, port, port_from, host)
