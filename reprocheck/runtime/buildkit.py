"""Which Dockerfile features the classic builder lacks: the pipeline's decision to build with BuildKit, passed
to the backend in the build request (the backend drives builds; it does not read Dockerfiles)."""

from __future__ import annotations

from pathlib import Path

from reprocheck.model.dockerfile import CopyInstruction, Dockerfile, RunInstruction


def buildkit_reasons(df: Dockerfile) -> list[str]:
    """Dockerfile features the classic builder does not have (each with its line)."""
    reasons: list[str] = []
    for ins in df.instructions:
        if isinstance(ins, RunInstruction):
            reasons += [
                f"line {ins.line}: RUN --{flag}" for flag in ("mount", "network", "security") if flag in ins.flags
            ]
            if ins.heredocs:
                reasons.append(f"line {ins.line}: here-document in RUN")
        elif isinstance(ins, CopyInstruction):
            flags = ("link", "chmod", "checksum", "keep-git-dir", "parents", "exclude")
            reasons += [f"line {ins.line}: {ins.keyword} --{flag}" for flag in flags if flag in ins.flags]
            if ins.heredocs:
                reasons.append(f"line {ins.line}: here-document in {ins.keyword}")
    return reasons


def needs_buildkit(dockerfile: Path) -> list[str]:
    """``buildkit_reasons`` of a Dockerfile on disk."""
    from reprocheck.parsing.dockerfile import parse_dockerfile

    return buildkit_reasons(parse_dockerfile(dockerfile.read_bytes(), str(dockerfile)))
