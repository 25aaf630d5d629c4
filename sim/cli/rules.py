"""The rules commands of ``arcsim``: ``explain``, ``lint`` and ``config``, on a simulated agent.

``explain`` decides one extension operation on an agent configured by ``azcmagent`` command
lines, with the reason and the rule; ``lint`` checks a runbook of such lines against the
lockdown best practices (exit status 1 when it finds an error); ``config`` prints what
``azcmagent config list|get`` would. A command line the agent refuses is bad input (exit
status 2; with ``explain --json``, a JSON object).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rich.table import Table

from sim.cli.agent import (
    REINSTALL,
    add_config_sources,
    command_lines,
    decided_as,
    extension_arg,
    operation_arg,
    read_lines,
    run_commands,
    version_arg,
)
from sim.cli.common import Subparsers, UsageError, print_json
from sim.cli.status import ExitStatus
from sim.files import FileError, read_text
from sim.rules.catalogue import BUILTIN, Catalogue, Hosting
from sim.rules.commands import Command, CommandError, Verb, execute
from sim.rules.config import AgentConfig, key_available
from sim.rules.decision import Decision, Operation, Reason, decide
from sim.rules.identity import ExtensionId
from sim.rules.lint import DEFAULT_AGENT_VERSION, Finding, Severity, config_file_names, lint
from sim.rules.reference import rule_link
from sim.rules.versions import AgentVersion, VersionError, versions_between
from sim.scenario.limits import LIMITS
from sim.scenario.source import ScenarioError, load_yaml_value
from sim.terminal import make_console


def register(sub: Subparsers) -> None:
    """Add ``explain``, ``lint`` and ``config`` to ``sub``."""
    add_explain(sub)
    add_lint(sub)
    add_config(sub)


# --- arcsim explain -------------------------------------------------------------------------

_WHY = {
    (Reason.ALLOWED, "R12"): "no allowlist or blocklist is set: every extension is allowed",
    (Reason.ALLOWED, "R19"): "monitor mode, and it is on the Microsoft-managed monitor list "
                             "(arcsim's list for this agent version: an assumption, Microsoft "
                             "does not publish it)",
    (Reason.NOT_ON_ALLOWLIST, "R13"): "an allowlist is set and the extension is not on it",
    (Reason.ON_BLOCKLIST, "R13"): "the extension is on the blocklist",
    (Reason.ALLOW_NONE, "R15"): "the allowlist is Allow/None: no extension may be installed",
    (Reason.MONITOR_MODE, "R19"): "monitor mode: only the Microsoft-managed monitor list may be "
                                  "installed, and the extension is not on it (arcsim's list "
                                  "for this agent version: an assumption, Microsoft does not "
                                  "publish it)",
    (Reason.MANAGER_DISABLED, "R23"): "the extension manager is disabled (extensions.enabled "
                                      "false): it takes no operation from Azure",
}


def why(decision: Decision, operation: Operation, ext: ExtensionId, config: AgentConfig) -> str:
    """A sentence saying why ``decision`` on ``ext`` under ``config`` came out as it did."""
    if operation is Operation.DELETE:
        return "a delete is always allowed, whatever the lists say (R14)"
    if (decision.reason, decision.rule) == (Reason.ALLOWED, "R13"):
        return ("the extension is on the allowlist" if ext in config.effective_allowlist
                else "no allowlist is set and the extension is not on the blocklist")
    return _WHY.get((decision.reason, decision.rule), decision.reason.value)


def catalogue_note(ext: ExtensionId, catalogue: Catalogue = BUILTIN) -> str:
    """What the catalogue says about ``ext`` (or that it is unknown, with a did-you-mean)."""
    entry = catalogue.get(ext)
    if entry is None:
        close = catalogue.closest(ext.name)
        hint = f"; did you mean {close[0].name}?" if close else ""
        return f"not in arcsim's catalogue (the same rules apply to it){hint}"
    scripts = ", runs scripts with full privileges (R7)" if entry.runs_scripts else ""
    host = "the extension manager" if entry.hosting is Hosting.MANAGER else "its own service"
    upgrade = "supports" if entry.auto_upgrade else "does not support"
    return (f"{entry.description or entry.id.name}: {entry.os} {entry.category}{scripts}, "
            f"hosted by {host} (R24); its publisher {upgrade} automatic upgrade (R25)")


def add_explain(sub: Subparsers) -> None:
    """``arcsim explain``: would this operation be allowed on an agent so configured?"""
    parser = sub.add_parser("explain", help="decide one operation on a configured agent",
                            description="Apply azcmagent commands to a fresh agent, then say "
                            "whether an extension operation is allowed, why, and by which rule.")
    add_config_sources(parser)
    parser.add_argument("--op", type=operation_arg, required=True,
                        help="install, update, upgrade, delete, or reinstall (the extension "
                             "manager's reinstall at resync after a local removal, R6: decided "
                             "as an install)")
    parser.add_argument("--extension", type=extension_arg, required=True,
                        metavar="PUBLISHER/TYPE")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    """Apply the command lines, decide, print the decision (a refused line: RefusedCommand,
    which ``--json`` prints as JSON)."""
    state = run_commands(command_lines(args), args.agent_version)
    entry = BUILTIN.get(args.extension)
    ext: ExtensionId = entry.id if entry is not None else args.extension
    decision = decide(decided_as(args.op), ext, state.config)
    if args.json:
        print_json({"allowed": decision.allowed, "reason": decision.reason.value,
                    "rule": decision.rule, "extension": ext.name,
                    "operation": args.op, "agent_version": str(args.agent_version),
                    "rule_doc": rule_link(decision.rule)})
    else:
        _print_explanation(args.op, ext, state.config, decision)
    return ExitStatus.OK


_REINSTALL_NOTE = ("a reinstall is the extension manager's own: at its next check after a "
                   "local removal, while Azure still records the extension (R6); it is never "
                   "pushed (R6a), is not in the activity log (R29), and the local controls "
                   "decide it as an install")


def _print_explanation(op: str, ext: ExtensionId, config: AgentConfig,
                       decision: Decision) -> None:
    out = make_console()
    verdict = "allowed" if decision.allowed else "blocked"
    out.print(f"{op} {ext.name} on agent {config.version}: ", end="", markup=False)
    out.print(verdict, style="bold green" if decision.allowed else "bold red", markup=False)
    reason = why(decision, decided_as(op), ext, config)
    out.print(f"  reason: {decision.reason.value} ({decision.rule}): {reason}", markup=False)
    out.print(f"  rule: {rule_link(decision.rule)}", markup=False)
    if op == REINSTALL:
        out.print(f"  note: {_REINSTALL_NOTE} ({rule_link('R6')})", markup=False)
    out.print("effective configuration:", markup=False)
    keys = ("config.mode", "extensions.allowlist", "extensions.blocklist", "extensions.enabled")
    shown = [k for k in keys if key_available(k, config.version)]
    for key in shown:
        out.print(f"  {key:<21}: {config.value_text(key)}", markup=False)
    if not shown:
        out.print(f"  (agent {config.version} has no local extension controls)", markup=False)
    out.print(f"catalogue: {catalogue_note(ext)}", markup=False)


# --- arcsim lint ----------------------------------------------------------------------------

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def add_lint(sub: Subparsers) -> None:
    """``arcsim lint``: check a script or runbook of azcmagent commands (best practices)."""
    parser = sub.add_parser("lint", help="check a script or runbook of azcmagent commands",
                            description="Run the agent calls of a script (bash, PowerShell, "
                            "cmd or a runbook) on simulated agents and report refused lines, "
                            "typos, version gates and lockdown best-practice breaches; other "
                            "lines are skipped. Exit 1 when an error is found.")
    parser.add_argument("file", metavar="FILE", help="script or runbook ('-': stdin)")
    parser.add_argument("--agent-version", type=version_range_arg, action="append",
                        metavar="V", help="agent version to check against (repeatable), or a "
                        f"range LOW-HIGH; default {DEFAULT_AGENT_VERSION}")
    parser.add_argument("--strict", action="store_true",
                        help="also list the lines that are not agent calls (skipped)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(handler=run_lint)


def version_range_arg(text: str) -> list[AgentVersion]:
    """argparse type: an agent version, or ``LOW-HIGH``: the versions where behaviour changes."""
    low, sep, high = text.partition("-")
    if not sep:
        return [version_arg(text)]
    try:
        return versions_between(AgentVersion.parse(low), AgentVersion.parse(high))
    except VersionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_lint(args: argparse.Namespace) -> int:
    """Lint the script; exit status 1 when a finding is an error."""
    text = "\n".join(read_lines(args.file))
    versions = [v for group in args.agent_version or [[DEFAULT_AGENT_VERSION]] for v in group]
    files = _config_files(args.file, config_file_names(text, args.file))
    findings = lint(text, agent_versions=versions, strict=args.strict, name=args.file,
                    config_files=files)
    if args.json:
        print_json({"file": args.file, "agent_versions": [str(v) for v in versions],
                    "findings": [_finding_json(f) for f in findings]})
    else:
        _print_findings(args.file, findings)
    if any(f.severity is Severity.ERROR for f in findings):
        return ExitStatus.FINDINGS
    return ExitStatus.OK


def _decoded(path: Path) -> str:
    """The UTF-8 text of a ``--config`` file a script names.

    Raises:
        UsageError: it cannot be read, is too large or is not UTF-8.
    """
    try:
        return read_text(path, limit=LIMITS.max_bytes)
    except FileError as exc:
        raise UsageError(f"{path}: cannot read the --config file: {exc.reason}") from None


def _config_files(script: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """The ``--config`` files a script names that exist next to it, parsed (JSON or YAML)."""
    found: dict[str, dict[str, Any]] = {}
    folder = Path(script).parent if script != "-" else Path.cwd()
    for name in names:
        path = folder / name.replace("\\", "/")
        if not os.path.isfile(path):  # False too for a name the system cannot look up
            continue
        try:  # read as a scenario file is (YAML or JSON, with its limits and located errors)
            data = load_yaml_value(_decoded(path), str(path))
        except ScenarioError as exc:
            raise UsageError(f"cannot read the --config file: {exc}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: expected an object of command options, got "
                             f"{type(data).__name__}")
        found[name] = data
    return found


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {"line": finding.line, "severity": finding.severity.value, "rule": finding.rule,
            "code": finding.code, "message": finding.message, "fix": finding.fix,
            "rule_doc": rule_link(finding.rule)}


def _print_findings(path: str, findings: list[Finding]) -> None:
    out = make_console()
    if not findings:
        out.print(f"{path}: no findings", markup=False)
        return
    out.print(f"{path}:", markup=False)
    table = Table()
    for name in ("line", "severity", "rule", "code"):
        table.add_column(name, no_wrap=True)
    table.add_column("message", ratio=3, overflow="fold")
    table.add_column("fix", ratio=2, overflow="fold")
    for f in findings:
        table.add_row("-" if f.line is None else str(f.line), f.severity.value, f.rule, f.code,
                      f.message, f.fix, style=_SEVERITY_STYLE[f.severity])
    out.print(table)
    counts = [(sum(f.severity is s for f in findings), s.value) for s in Severity]
    out.print(", ".join(f"{n} {name}{'s' if n != 1 and name != 'info' else ''}"
                        for n, name in counts), markup=False)
    rules = sorted({f.rule for f in findings if f.rule}, key=_rule_order)
    if rules:
        out.print(f"the rules: {', '.join(rule_link(r) for r in rules)}", markup=False)


def _rule_order(rule: str) -> tuple[int, str]:
    digits = "".join(c for c in rule if c.isdigit())
    return (int(digits) if digits else 0, rule)


# --- arcsim config --------------------------------------------------------------------------


def add_config(sub: Subparsers) -> None:
    """``arcsim config list|get KEY``: what ``azcmagent config`` would print."""
    parser = sub.add_parser("config", help="show a simulated agent's configuration",
                            description="Apply azcmagent commands to a fresh agent and print "
                            "what azcmagent config list (or get KEY) would show.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="{list,get}")
    listing = actions.add_parser("list", help="azcmagent config list")
    getting = actions.add_parser("get", help="azcmagent config get KEY")
    getting.add_argument("key", metavar="KEY", help="e.g. extensions.allowlist")
    for each in (listing, getting):
        add_config_sources(each)
        each.set_defaults(handler=run_config)


def run_config(args: argparse.Namespace) -> int:
    """Print what ``azcmagent config list|get KEY`` would on the configured agent."""
    state = run_commands(command_lines(args), args.agent_version)
    verb = Verb.CONFIG_LIST if args.action == "list" else Verb.CONFIG_GET
    command = Command(verb, key=getattr(args, "key", ""), line=f"azcmagent config {args.action}")
    try:
        print(execute(command, state).output)
    except CommandError as exc:
        raise UsageError(exc.message) from None
    return ExitStatus.OK


__all__ = ["catalogue_note", "register", "run_config", "run_explain", "run_lint", "why"]
