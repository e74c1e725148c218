"""The environment probe run in an image after a pass (RC870). smoke/facts.py runs the same probe for a
failure's diagnosis, but importing it loads the whole diagnosis, which a passing run never needs."""

from __future__ import annotations

from typing import Any

from reprocheck.backend.base import ContainerBackend, RunRequest, Sandbox
from reprocheck.envprobe import launcher, parse, probe_argv


def probe_image(
    backend: ContainerBackend, image: str, sandbox: Sandbox, command: tuple[str, ...]
) -> tuple[dict[str, Any] | None, str | None]:
    """(the image's environment record, or None with the reason): the command's Python, else python3, python."""
    for python in dict.fromkeys((launcher(command), "python3", "python")):
        ran = backend.run(RunRequest(image, tuple(probe_argv(python, command)), sandbox, 60))
        record = parse(ran.stdout) if ran.exit_code == 0 else None
        if record is not None:
            return record, None
        if ran.exit_code not in (126, 127):  # 126/127: no such interpreter, try the next name
            break
    return None, "the environment probe found no Python in the image"
