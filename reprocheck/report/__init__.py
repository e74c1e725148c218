"""Reporters: one module per format, each ``render(report, *, color=False) -> str``, imported on use."""

from __future__ import annotations

import importlib
from typing import Protocol

from reprocheck.model.report import Report


class Renderer(Protocol):
    def __call__(self, report: Report, *, color: bool = False) -> str: ...


FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
    "markdown": "summary",
    "html": "html",
    "statistics": "statistics",
    "gitlab": "gitlab",
    "azure": "azure",
    "sonar": "sonar",
    "checkstyle": "checkstyle",
    "concise": "concise",
}


def renderer(fmt: str) -> Renderer:
    """The render function of a format (KeyError for an unknown one)."""
    module = importlib.import_module(f"reprocheck.report.{FORMATS[fmt]}")
    render: Renderer = module.render
    return render


__all__ = ["FORMATS", "Renderer", "renderer"]
