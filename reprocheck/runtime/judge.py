"""One verdict: findings judged by the configuration (as lint judges its own), each stage given the findings
of its rules (``RuleMeta.stage``), and one Report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from reprocheck import __version__
from reprocheck.lint.run import LintOptions, judged
from reprocheck.model.finding import Finding
from reprocheck.model.report import Report, StageResult
from reprocheck.model.rule import Stage
from reprocheck.rules import META


@dataclass
class Collected:
    """What the stages of one run found, noted and read (files as shown)."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    local_images: list[str] = field(default_factory=list)  # base images the engine has with no registry digest

    def note(self, *notes: str) -> None:
        self.notes.extend(n for n in notes if n not in self.notes)

    def file(self, *paths: str) -> None:
        self.files.extend(p for p in paths if p not in self.files)


_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])|[\x00-\x08\x0b-\x1f\x7f]")


def plain(text: str) -> str:
    """Text from a build log or a prediction's output without terminal escapes and control characters."""
    return _ANSI.sub("", text)


def _plain_finding(f: Finding) -> Finding:
    message, hint = plain(f.message), plain(f.hint) if f.hint is not None else None
    return f if (message, hint) == (f.message, f.hint) else replace(f, message=message, hint=hint)


def stage_of(finding: Finding) -> Stage:
    return META[finding.rule].stage


def settle_stages(stages: Sequence[StageResult], findings: Sequence[Finding], threshold: int) -> list[StageResult]:
    """Give each stage that ran its findings (after the configuration's selection and severities): a stage with
    a finding at the threshold fails; a stage that failed on its own (a build) stays failed."""
    out: list[StageResult] = []
    for s in stages:
        if s.status == "skipped":
            out.append(s)
            continue
        active = [f for f in findings if f.suppressed_by is None and stage_of(f) == s.name]
        failed = s.status == "failed" or any(f.severity.rank >= threshold for f in active)
        out.append(replace(s, status="failed" if failed else "passed", findings=len(active)))
    return out


RAN = "ran: "  # the note a single runtime command ends with (report/text.py puts it in the summary)


def for_sarif(report: Report) -> Report:
    """The findings that point at lines of the project's files (lint, verify, rebuild), for code scanning;
    a build log or a prediction's output has no line to annotate."""
    kept = tuple(f for f in report.findings if stage_of(f) not in (Stage.BUILD, Stage.SMOKE))
    return replace(report, findings=kept, rules={f.rule: report.rules[f.rule] for f in kept})


def judge_run(
    judging: LintOptions,
    gate: bool,
    stages: Sequence[StageResult],
    lint_findings: Sequence[Finding],
    out: Collected,
) -> Report:
    """One Report: the stages' findings judged by the configuration exactly as lint judges its own (selection,
    severities, per-file ignores, threshold), lint's as they come; in ``gate`` mode the stage table too."""
    notes = [plain(n) for n in out.notes]
    ran = [f"{s.name} {s.status}" for s in stages if s.status != "skipped"]
    if not gate and ran:  # a single command says what it ran, not only how many files were judged
        notes.append(RAN + ", ".join(ran))
    dynamic = judged((_plain_finding(f) for f in out.findings), out.files, judging, notes)
    findings = tuple(sorted((*lint_findings, *dynamic.findings), key=lambda f: f.sort_key))
    rules = {**dynamic.rules, **{f.rule: META[f.rule] for f in lint_findings}}
    # a single command shows no stage table, except a stage that failed on its own (a build): it fails the run
    # even when the configuration ignores the rule that reports it
    shown = stages if gate else [s for s in stages if s.status == "failed"]
    final = settle_stages(shown, findings, dynamic.threshold.rank)
    return Report(
        findings=findings,
        rules={k: rules[k] for k in sorted(rules)},
        files=tuple(out.files),
        tool_version=__version__,
        threshold=dynamic.threshold,
        notes=dynamic.notes,
        stages=tuple(final),
        rule_url=dynamic.rule_url,
        exit_zero=dynamic.exit_zero,
        config_files=dynamic.config_files,
    )
