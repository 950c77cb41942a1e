"""JUnit XML of a run's gates, so any CI shows them: one testcase per gate and subject (classname the
stage), a failure with the message and the figure, a skip for what was not measured. The exit code of
the run still decides; this file only shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from plsync.records.files import VERDICT
from plsync.records.run import GateOutcomeRecord
from reports.run_reader import RunReader


def _case_name(outcome: GateOutcomeRecord) -> str:
    return f"{outcome.gate} [{outcome.subject}]" if outcome.subject else outcome.gate


def junit_xml(run: RunReader) -> str:
    verdict = run.load(VERDICT)
    seconds = {s.name: s.seconds for s in verdict.stages}
    by_stage: dict[str, list[GateOutcomeRecord]] = defaultdict(list)
    for outcome in verdict.gates:
        by_stage[outcome.stage].append(outcome)
    suites = ET.Element("testsuites", name="plsync readiness", tests=str(len(verdict.gates)))
    for record in verdict.stages:
        outcomes = by_stage.get(record.name, [])
        suite = ET.SubElement(suites, "testsuite", name=record.name, time=f"{seconds[record.name]:.3f}")
        if record.status == "error":
            case = ET.SubElement(suite, "testcase", classname=record.name, name="the stage completes")
            ET.SubElement(case, "error", message=str(record.error), type="StageError").text = str(record.error)
        for outcome in outcomes:
            case = ET.SubElement(suite, "testcase", classname=outcome.stage, name=_case_name(outcome))
            ET.SubElement(case, "properties").extend(
                ET.Element("property", name=k, value=str(v)) for k, v in (("observed", outcome.observed),
                                                                  ("expected", outcome.expected),
                                                                  ("source", outcome.source)))
            if outcome.status == "fail":
                message = f"{outcome.observed} (needs {outcome.expected}){outcome.note}"
                ET.SubElement(case, "failure", message=message, type="GateFailed").text = (
                    f"{outcome.stage}: {_case_name(outcome)}: {message}; from {outcome.source}")
            elif outcome.status == "not_measured":
                ET.SubElement(case, "skipped", message=f"not measured: the run has no {outcome.source}")
            elif outcome.status == "exempt":
                ET.SubElement(case, "skipped", message=f"measured, not gated: {outcome.observed}")
        suite.set("tests", str(len(suite.findall("testcase"))))
        suite.set("failures", str(len(suite.findall("testcase/failure"))))
        suite.set("errors", str(len(suite.findall("testcase/error"))))
        suite.set("skipped", str(len(suite.findall("testcase/skipped"))))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
