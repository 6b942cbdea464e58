"""``-o junit``: JUnit XML for CI test tabs. One ``<testsuite>`` per environment; one ``<testcase>`` per
object with findings (errors are ``<failure>``s, warnings go to ``<system-out>``) and one testcase that
stands for every object without findings, so ``tests`` adds up to what was checked."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, TextIO
from xml.etree import ElementTree as ET

from ..results import ERROR, Finding, Report

if TYPE_CHECKING:
    from .options import ReportOptions


def _line(f: Finding) -> str:
    field = f" {f.json_path}:" if f.json_path else ""
    return f"{f.location()}:{field} {f.message} ({f.rule})"


def to_xml(report: Report) -> ET.Element:
    suites = ET.Element("testsuites", name="kserve-gitops validate")
    total_tests = total_failures = 0
    for env in report.environments:
        by_object: dict[str, list[Finding]] = defaultdict(list)
        for f in sorted(env.findings, key=Finding.sort_key):
            by_object[str(f.object) if f.object.kind else f.location()].append(f)
        suite = ET.SubElement(suites, "testsuite", name=env.name)
        failures = 0
        cases = 0
        for name in sorted(by_object):
            findings = by_object[name]
            case = ET.SubElement(suite, "testcase", name=name, classname=env.name, time="0")
            cases += 1
            errors = [f for f in findings if f.severity == ERROR]
            if errors:
                failures += 1
                failure = ET.SubElement(case, "failure", message=errors[0].message, type=errors[0].rule)
                failure.text = "\n".join(_line(f) for f in errors)
            others = [f for f in findings if f.severity != ERROR]
            if others:
                ET.SubElement(case, "system-out").text = "\n".join(f"{f.severity}: {_line(f)}" for f in others)
        clean = max(env.objects - len(by_object), 0)
        if clean or not by_object:
            ET.SubElement(suite, "testcase", name=f"{clean} objects without findings", classname=env.name, time="0")
            cases += 1
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", "0")
        total_tests += cases
        total_failures += failures
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    suites.set("errors", "0")
    suites.set("time", "0")
    return suites


def write(report: Report, stream: TextIO, options: "ReportOptions") -> None:
    tree = to_xml(report)
    ET.indent(tree)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(tree, encoding="unicode"))
    stream.write("\n")
