"""GPU smoke mode: ``gpus = "all" | N`` in the smoke spec (or ``--gpus``) asks the engine for GPUs, as
``docker run --gpus`` does (a device request with the ``gpu`` capability). An engine without a GPU runtime
refuses to start such a container; that refusal is recognised here and the stage is reported as not run,
with the engine's reason, never as a crash of the prediction and never as a pass. Pure."""

from __future__ import annotations

import re

from reprocheck.errors import EngineUnavailable

# what engines answer when they cannot give a container the GPUs it asks for
_REFUSALS = re.compile(
    r"could not select device driver[^\n]*capabilities: \[\[gpu\]\]"
    r"|unknown or invalid runtime name: nvidia"
    r"|nvidia-container-cli: [^\n]*(?:initialization error|no cuda-capable device|driver)"
    r"|failed to discover GPU vendor"
    r"|no NVIDIA (?:GPU )?devices? (?:found|available)",
    re.IGNORECASE,
)


class GpuUnavailable(EngineUnavailable):
    """The spec asks for GPUs and the engine has none to give: the smoke stage did not run."""


def parse_gpus(value: object) -> str | None:
    """``"all"`` or a positive count (``2`` or ``"2"``) -> the request (``"all"``, ``"2"``); ``0``, ``"none"``
    and ``""`` -> None (no GPU). Anything else raises ValueError with what is accepted."""
    if value is None or value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError('must be "all" or a number of GPUs, such as 1')
    text = str(value).strip().lower()
    if text in ("", "0", "none"):
        return None
    if text == "all":
        return "all"
    if text.isdigit() and 0 < int(text) <= 1024:
        return str(int(text))
    raise ValueError(f'`{value}` is not "all" or a number of GPUs (1 to 1024)')


def refusal(stderr: bytes | str) -> str | None:
    """The engine's words when it refused to start a container for want of a GPU runtime, else None."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    m = _REFUSALS.search(text)
    if m is None:
        return None
    line = next((ln for ln in text.splitlines() if m.group(0) in ln), m.group(0))
    return line.strip()[:300]


def not_run(gpus: str, reason: str) -> GpuUnavailable:
    asked = "all GPUs" if gpus == "all" else f"{gpus} GPU{'s' if gpus != '1' else ''}"
    return GpuUnavailable(
        f"smoke not run: the prediction asks for {asked} (gpus = {gpus!r}) and the engine has no GPU runtime "
        f"to give ({reason}); run it on an engine with the NVIDIA container toolkit, or leave `gpus` out for "
        "a CPU run"
    )
