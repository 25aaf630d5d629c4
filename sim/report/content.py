"""What a run's one-page report says, independent of its format (:mod:`sim.report.render`
writes it as Markdown and as self-contained HTML).

In order: the question the scenario asks; facts about the run; what was blocked beside what
got in, with the figure of exposure over time (:mod:`sim.report.opening`); the headline
numbers; the ``expect:`` results; the other figures; the lint findings of the configurations
used; the **[param]** values in force. Nothing in it depends on when or how fast the run
went, so the same run gives the same report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.report.assumptions import assumption_notes, lint_findings, params_in_force
from sim.report.figures import FIGURES, OPENING_FIGURE
from sim.report.opening import blocked_rows, exposure_rows
from sim.report.opening import get as _get
from sim.report.opening import number as _n
from sim.report.view import DAY, RunView
from sim.rules.reference import RULES_DOC, rule_link
from sim.scenario.units import format_duration, format_size


@dataclass(frozen=True)
class Table:
    """Rows of text under column names; ``marks`` gives each row a kind (``miss``, ``error``,
    ``warning``, ``set``, ``changed`` or "") that formats may highlight, ``kind`` the table's
    (``headline``, ``numbers`` or "")."""

    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    marks: Sequence[str] = ()
    kind: str = ""

    def mark(self, i: int) -> str:
        return self.marks[i] if i < len(self.marks) else ""


@dataclass(frozen=True)
class Image:
    """One figure: its file in the result folder, title, caption and PNG bytes."""

    file: str
    title: str
    caption: str
    png: bytes


@dataclass(frozen=True)
class Section:
    title: str
    blocks: Sequence[Block]


@dataclass(frozen=True)
class SideBySide:
    """Two sections shown next to each other (one after the other where there is no room)."""

    left: Section
    right: Section


Block = str | Table | Image | SideBySide
"""A paragraph (plain text), a table, a figure or two sections side by side."""


@dataclass(frozen=True)
class Content:
    """A whole report."""

    title: str
    question: str
    description: str
    facts: Sequence[tuple[str, str]]
    sections: Sequence[Section] = field(default_factory=list)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _listing(table: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {_n(v)}" for k, v in table.items()) or "none"


def override_actions_text(overrides: Mapping[str, Any]) -> str:
    """How many override actions an ``overrides`` metrics block counts, and of which kind
    (R16, R17): ``"350 override actions (0 in Azure Policy, 350 local configuration
    changes)"``. A result folder written before the kinds were counted apart has only Azure
    Policy's."""
    actions = int(overrides.get("actions", 0))
    if "local_actions" not in overrides:
        return f"{_count(actions, 'override action')} in Azure Policy"
    return (f"{_count(actions, 'override action')} ({_n(overrides.get('policy_actions', 0))} "
            f"in Azure Policy, {_n(overrides['local_actions'])} local configuration "
            "changes)")


def build(view: RunView, images: Mapping[str, bytes]) -> Content:
    """The report of ``view``; ``images`` maps each figure name to its PNG bytes."""
    s = view.scenario
    lines = [line.strip() for line in s.description.strip().splitlines()]
    question = lines[0] if lines else f"What happens in scenario {s.name}?"
    return Content(
        title=f"{s.name}: run report",
        question=question,
        description=" ".join(line for line in lines[1:] if line),
        facts=_facts(view),
        sections=[
            opening(view, images),
            Section("Headline numbers", [headline_table(view.metrics), RULES_NOTE]),
            Section("Expectations", _expectations(view)),
            Section("Figures", [Image(spec.file, spec.title, spec.caption, images[spec.name])
                                for spec in FIGURES if spec.name in images
                                and spec.name != OPENING_FIGURE]),
            Section("Lint findings for the configurations used", _lint(view)),
            Section("Assumptions: parameters in force", _params(view)),
        ],
    )


def opening(view: RunView, images: Mapping[str, bytes]) -> Section:
    """What was blocked beside what got in, and the figure of exposure over time."""
    columns = ("", "number", "details")
    blocks: list[Block] = [SideBySide(
        Section("What was blocked", [Table(columns, blocked_rows(view.metrics),
                                           kind="headline")]),
        Section("What got in", [Table(columns, exposure_rows(view.metrics),
                                      kind="headline")]))]
    spec = next(s for s in FIGURES if s.name == OPENING_FIGURE)
    if spec.name in images:
        blocks.append(Image(spec.file, spec.title, spec.caption, images[spec.name]))
    return Section("What was blocked, what got in", blocks)


def _facts(view: RunView) -> list[tuple[str, str]]:
    s, m = view.scenario, view.manifest
    groups = ", ".join(f"{g.group} ({g.count:,})" for g in s.fleet)
    start = f", from {s.start:%Y-%m-%d %H:%M} UTC" if s.start is not None else ""
    revision = m.get("git_revision") or "unknown"
    return [
        ("scenario", f"{s.name} (seed {view.seed})"),
        ("fleet", f"{s.machines:,} machines: {groups}"),
        ("simulated", f"{format_duration(s.duration)} ({s.duration / DAY:g} days){start}"),
        ("records", _n(int(_get(m, "counts.records", 0)))),
        ("arcsim", f"{m.get('arcsim_version', '?')} (git {str(revision)[:12]})"),
    ]


def headline_table(metrics: Mapping[str, Any]) -> Table:
    """The headline numbers of a run's metrics, with a short breakdown of each, the metric
    each number is (``docs/metrics.md``) and the rules behind it (``docs/rules.md``)."""
    def g(path: str) -> Any:
        return _get(metrics, path)

    rows = [
        ("Blocked operations", _n(g("blocked.total")),
         f"by reason: {_listing(g('blocked.by_reason') or {})}; "
         f"{_n(g('distinct.blocked'))} (machine, extension) pairs on "
         f"{_n(g('machines_with.blocked'))} machines (each retry counts again)",
         "blocked.total", "R9-R15, R19, R23, R26"),
        ("Requests accepted by Azure", _n(g("requests")),
         f"installs done: {_n(g('installs'))}; upgrades done: {_n(g('upgrades'))}",
         "requests", "R5, R25"),
        ("Reinstall churn", _n(g("churn.cycles")),
         f"after {_n(g('local_removals'))} extensions removed locally on "
         f"{_n(g('machines_with.local_removals'))} machines; {_n(g('churn.blocked'))} "
         f"reinstalls blocked", "churn.cycles", "R6, R6a"),
        ("Absent machine-hours", _n(float(g("churn.absent_hours"))),
         "extensions missing until resync put them back", "churn.absent_hours", "R6"),
        ("Downloaded again", format_size(int(g("churn.bytes"))),
         "by path: " + (", ".join(f"{k} {format_size(int(v))}" for k, v in
                                  (g("churn.bytes_by_path") or {}).items()) or "none"),
         "churn.bytes", "R2, R6"),
        ("Longest download queue wait",
         format_duration(float(g("churn.max_queue_wait_s")), parts=2), "on a shared path",
         "churn.max_queue_wait_s", "R2"),
        ("Overrides", _n(g("overrides.total")),
         f"operations let through by {override_actions_text(g('overrides') or {})}; by "
         f"who lifted the protection: {_listing(g('overrides.by_actor') or {})}",
         "overrides.total, overrides.actions", "R16, R17"),
        ("Azure Policy", f"{_n(g('policy.denied'))} denied",
         f"{_n(g('policy.audited'))} audited, {_n(g('policy.authorization_failed'))} changes "
         "refused for lack of a role", "policy.denied", "R26, R27"),
        ("Failures apart from blocks", _n(g("failures.failed") + g("failures.aborted")),
         f"{_n(g('failures.failed'))} failed, {_n(g('failures.aborted'))} aborted (catalog "
         "check)", "failures.failed, failures.aborted", "R3, R25"),
        ("Commands refused", _n(sum((g("commands_refused") or {}).values())),
         f"by reason: {_listing(g('commands_refused') or {})}", "commands_refused",
         "R8, R8a, R21, R30"),
        ("Locked down at the end", f"{_n(g('coverage.machines_locked_down'))} of "
                                   f"{_n(g('coverage.machines'))}",
         f"{_n(g('coverage.machines_too_old_for_controls'))} on agents too old for local "
         f"controls; {_n(g('coverage.machines_with_drift'))} with drift from Azure; "
         f"{_n(g('coverage.stale_versions'))} stale extension versions",
         "coverage.machines_locked_down", "R8, R30"),
        ("What got in", _n(g("exposure.total")),
         f"script-capable installs and updates that succeeded, "
         f"{_n(g('exposure.through_lockdown'))} through a lockdown; "
         f"{_n(float(g('exposure.machine_hours')))} machine-hours with one installed and "
         f"runnable", "exposure.total, exposure.machine_hours", "R7, R24"),
        ("Override paths left open", f"{_n(g('exposure.open_paths_at_end.any'))} of "
                                     f"{_n(g('coverage.machines'))}",
         "machines where a protection can still be rewritten from Azure at the end",
         "exposure.open_paths_at_end.any", "R17, R27"),
    ]
    return Table(("", "number", "details", "metric", "rules"), rows, kind="headline")


RULES_NOTE = (f"Metric paths are defined in docs/metrics.md and rule ids (R1-R30) explained in "
              f"{RULES_DOC}, both in arcsim's repository: {rule_link('R13')} is rule R13.")
"""Where the headline table's metric paths and rule ids are explained."""


def _actual(value: float) -> str:
    """A metric as read in a table: ``57,800,000,000``, ``4,640.65``."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _expectations(view: RunView) -> list[Block]:
    if not view.expectations:
        return ["The scenario has no expect: block."]
    rows = [(e.path, e.expected, "missing" if e.actual is None else _actual(e.actual),
             "ok" if e.ok else "MISS") for e in view.expectations]
    held = sum(e.ok for e in view.expectations)
    table = Table(("metric", "expected", "actual", ""), rows,
                  ["" if e.ok else "miss" for e in view.expectations])
    verb = "holds" if len(rows) == 1 else "hold"
    return [f"{held} of {_count(len(rows), 'expectation')} {verb}.", table]


def _lint(view: RunView) -> list[Block]:
    findings = lint_findings(view.scenario)
    if not findings:
        return ["No findings: the scenario runs no azcmagent command lines, or the ones it "
                "runs meet the lockdown best practices on every agent version they reach."]
    rows = [(f.use.where, ", ".join(f.versions), f.finding.severity.value, f.finding.rule or "-",
             f.command or "(the configuration as a whole)", f.finding.message, f.finding.fix)
            for f in findings]
    table = Table(("where", "agent", "severity", "rule", "command", "finding", "fix"), rows,
                  [f.finding.severity.value for f in findings])
    errors = sum(f.finding.severity.value == "error" for f in findings)
    return [f"{_count(len(findings), 'finding')} ({_count(errors, 'error')}) from arcsim lint "
            "on each agent version the command lines reach.", table]


def _params(view: RunView) -> list[Block]:
    params = params_in_force(view.scenario)
    changed = [p.name for p in params if p.is_set]
    note = (f"The scenario sets {', '.join(changed)}; every other value is arcsim's default."
            if changed else "Every value is arcsim's default.")
    rows = [(p.name, p.value, p.default, p.meaning) for p in params]
    return [*assumption_notes(view.scenario), note,
            Table(("parameter", "value", "default", "meaning"), rows,
                  ["set" if p.is_set else "" for p in params])]


__all__ = ["Block", "Content", "Image", "Section", "SideBySide", "Table", "build",
           "headline_table", "opening", "override_actions_text"]
