"""JUnit XML: one testsuite per file; each finding a testcase (failure at or above the threshold)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from reprocheck.model.report import Report
from reprocheck.model.safe import safe_text

from ._common import is_failing, rule_name


def render(report: Report, *, color: bool = False) -> str:
    root = ET.Element("testsuites", name="reprocheck", tests="0", failures="0")
    by_path = {p: list(g) for p, g in groupby(report.findings, key=lambda f: f.location.path)}
    total = failures = 0
    for path in sorted(set(report.files) | set(by_path)):
        findings = by_path.get(path, [])
        suite = ET.SubElement(root, "testsuite", name=path)
        n_fail = 0
        if not findings:
            ET.SubElement(suite, "testcase", classname=path, name="reprocheck lint")
        for f in findings:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=path,
                name=f"{f.rule} {rule_name(report, f)} (line {f.location.line})",
            )
            text = f"{f.location.path}:{f.location.line}: {f.message}" + (f"\nhint: {f.hint}" if f.hint else "")
            if f.suppressed_by:
                ET.SubElement(case, "skipped", message=f"suppressed by {f.suppressed_by}")
            elif is_failing(report, f):
                fail = ET.SubElement(case, "failure", message=f.message, type=f.severity.value)
                fail.text = text
                n_fail += 1
            else:
                ET.SubElement(case, "skipped", message=f"{f.severity.value}: below the failure threshold")
                out = ET.SubElement(case, "system-out")
                out.text = text
        tests = max(len(findings), 1)
        suite.set("tests", str(tests))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        suite.set("skipped", str(sum(1 for c in suite if c.find("skipped") is not None)))
        total += tests
        failures += n_fail
    if report.stages:
        suite = ET.SubElement(root, "testsuite", name="reprocheck check")
        n_fail = n_skip = 0
        for s in report.stages:
            case = ET.SubElement(suite, "testcase", classname="reprocheck.check", name=s.name, time=f"{s.seconds:.3f}")
            if s.status == "failed":
                fail = ET.SubElement(case, "failure", message=s.detail or f"{s.name} failed", type="stage")
                fail.text = f"{s.name}: {s.detail} ({s.findings} findings)"
                n_fail += 1
            elif s.status == "skipped":
                ET.SubElement(case, "skipped", message=s.detail or "skipped")
                n_skip += 1
            else:
                out = ET.SubElement(case, "system-out")
                out.text = s.detail
        suite.set("tests", str(len(report.stages)))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        suite.set("skipped", str(n_skip))
        total += len(report.stages)
        failures += n_fail
    root.set("tests", str(total))
    root.set("failures", str(failures))
    for element in root.iter():  # XML 1.0 has no controls; a log reader would act on them
        if element.text:
            element.text = safe_text(element.text)
        for key, value in list(element.attrib.items()):
            element.set(key, safe_text(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
