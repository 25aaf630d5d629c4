"""The ``arcsim`` command line.

Each subcommand is registered by one small ``add_<name>`` function (listed in
:data:`SUBCOMMANDS`) that declares its arguments and sets ``handler``, the function that runs
it and returns the exit status. Exit status: 0 done, 1 lint found errors, 2 bad input or a
command the simulated agent refuses. Every :class:`~sim.errors.ArcsimError` becomes one line
``arcsim: error: ...`` on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

from rich.table import Table

from sim.errors import ArcsimError, ArcsimWarning
from sim.rules.catalogue import BUILTIN, Catalogue, Hosting
from sim.rules.commands import Command, CommandError, LocalState, Verb, apply, execute
from sim.rules.config import AgentConfig, key_available
from sim.rules.decision import Decision, Operation, Reason, decide
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.rules.lint import DEFAULT_AGENT_VERSION, Finding, Severity, lint
from sim.rules.versions import AgentVersion, VersionError
from sim.scenario.source import ScenarioError
from sim.terminal import make_console

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler: TypeAlias = Callable[[argparse.Namespace], int]


class CliError(ArcsimError):
    """Bad input on the command line: a flag value, a file that cannot be read."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors become :class:`CliError` (printed, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')")


# --- shared output helpers ------------------------------------------------------------------


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def print_error(message: str) -> int:
    """Print ``arcsim: error: message`` on stderr; return exit status 2."""
    print(f"arcsim: error: {message}", file=sys.stderr)
    return 2


# --- shared argument types ------------------------------------------------------------------


def version_arg(text: str) -> AgentVersion:
    """argparse type: an agent version (``1.36``, ``1.58.03228.700``)."""
    try:
        return AgentVersion.parse(text)
    except VersionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def extension_arg(text: str) -> ExtensionId:
    """argparse type: an extension name ``Publisher/Type``."""
    try:
        return ExtensionId.parse(text)
    except ExtensionIdError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def operation_arg(text: str) -> Operation:
    """argparse type: install, update, upgrade or delete (any letter case)."""
    try:
        return Operation(text.strip().lower())
    except ValueError:
        names = ", ".join(o.value for o in Operation)
        raise argparse.ArgumentTypeError(f'expected one of {names}, got "{text}"') from None


# --- command lines given with --config / --config-file ---------------------------------------


@dataclass(frozen=True, slots=True)
class CommandLine:
    """One ``azcmagent`` command line and where it came from (for error messages)."""

    text: str
    source: str
    """``--config`` or the file's path."""
    line: int
    """1-based: the line of the file, or which ``--config`` flag."""

    @property
    def where(self) -> str:
        return f"--config #{self.line}" if self.source == "--config" else (
            f"{self.source}:{self.line}")


class RefusedCommand(CliError):
    """A command line the simulated agent refuses."""

    def __init__(self, command: CommandLine, error: CommandError) -> None:
        super().__init__(f'{command.where}: the agent refuses "{command.text}": {error.message}')
        self.command = command
        self.error = error

    def as_json(self) -> dict[str, Any]:
        return {"error": {"code": self.error.code.value, "message": self.error.message,
                          "line": self.command.line, "command": self.command.text,
                          "source": self.command.source, "rule": self.error.rule or None}}


class _AppendSource(argparse.Action):
    """Keep ``--config`` and ``--config-file`` in the order given, in ``args.sources``."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        sources = [*(getattr(namespace, "sources", None) or []), (self.const, values)]
        namespace.sources = sources


def add_config_sources(parser: argparse.ArgumentParser) -> None:
    """The options that describe a machine: its agent version and the commands run on it."""
    parser.add_argument("--agent-version", type=version_arg, default=DEFAULT_AGENT_VERSION,
                        metavar="V", help=f"agent version (default {DEFAULT_AGENT_VERSION})")
    parser.add_argument("--config", dest="sources", action=_AppendSource, const="config",
                        metavar="COMMAND", help="an azcmagent command line, as typed (repeatable)")
    parser.add_argument("--config-file", dest="sources", action=_AppendSource, const="file",
                        metavar="FILE", help="a file of command lines, one per line")


def read_lines(path: str) -> list[str]:
    """The lines of a UTF-8 text file (``-`` is stdin); raise :class:`CliError` if unreadable."""
    if path == "-":
        return sys.stdin.read().splitlines()
    try:
        return Path(path).read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory, expected a text file") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read: {exc.strerror}") from None


def command_lines(args: argparse.Namespace) -> list[CommandLine]:
    """The command lines of ``--config``/``--config-file``, in order; blanks and # skipped."""
    found: list[CommandLine] = []
    flags = 0
    for kind, value in args.sources or []:
        if kind == "config":
            flags += 1
            numbered = [(value, flags)]
        else:
            numbered = [(text, n) for n, text in enumerate(read_lines(value), start=1)]
        source = "--config" if kind == "config" else value
        found += [CommandLine(text, source, n) for text, n in numbered
                  if text.strip() and not text.lstrip().startswith("#")]
    return found


def run_commands(lines: list[CommandLine], version: AgentVersion) -> LocalState:
    """Apply ``lines`` in order to a fresh agent; raise :class:`RefusedCommand` at a refusal."""
    state = LocalState(AgentConfig.fresh(version))
    for command in lines:
        try:
            state = apply(command.text, state).state
        except CommandError as exc:
            raise RefusedCommand(command, exc) from None
    return state


# --- arcsim explain -------------------------------------------------------------------------

_WHY = {
    (Reason.ALLOWED, "R12"): "no allowlist or blocklist is set: every extension is allowed",
    (Reason.ALLOWED, "R19"): "monitor mode, and it is on the Microsoft-managed monitor list",
    (Reason.NOT_ON_ALLOWLIST, "R13"): "an allowlist is set and the extension is not on it",
    (Reason.ON_BLOCKLIST, "R13"): "the extension is on the blocklist",
    (Reason.ALLOW_NONE, "R15"): "the allowlist is Allow/None: no extension may be installed",
    (Reason.MONITOR_MODE, "R19"): "monitor mode: only the Microsoft-managed monitor list may be "
                                  "installed, and the extension is not on it",
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
    return (f"{entry.description or entry.id.name}: {entry.os} {entry.category}{scripts}, "
            f"hosted by {host} (R24)")


def add_explain(sub: Subparsers) -> None:
    """``arcsim explain``: would this operation be allowed on an agent so configured?"""
    parser = sub.add_parser("explain", help="decide one operation on a configured agent",
                            description="Apply azcmagent commands to a fresh agent, then say "
                            "whether an extension operation is allowed, why, and by which rule.")
    add_config_sources(parser)
    parser.add_argument("--op", type=operation_arg, required=True,
                        help="install, update, upgrade or delete")
    parser.add_argument("--extension", type=extension_arg, required=True,
                        metavar="PUBLISHER/TYPE")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    lines = command_lines(args)
    try:
        state = run_commands(lines, args.agent_version)
    except RefusedCommand as exc:
        if not args.json:
            raise
        print_json(exc.as_json())
        return 2
    entry = BUILTIN.get(args.extension)
    ext: ExtensionId = entry.id if entry is not None else args.extension
    decision = decide(args.op, ext, state.config)
    if args.json:
        print_json({"allowed": decision.allowed, "reason": decision.reason.value,
                    "rule": decision.rule, "extension": ext.name,
                    "operation": args.op.value, "agent_version": str(args.agent_version)})
    else:
        _print_explanation(args.op, ext, state.config, decision)
    return 0


def _print_explanation(op: Operation, ext: ExtensionId, config: AgentConfig,
                       decision: Decision) -> None:
    out = make_console()
    verdict = "allowed" if decision.allowed else "blocked"
    out.print(f"{op.value} {ext.name} on agent {config.version}: ", end="", markup=False)
    out.print(verdict, style="bold green" if decision.allowed else "bold red", markup=False)
    reason = why(decision, op, ext, config)
    out.print(f"  reason: {decision.reason.value} ({decision.rule}): {reason}", markup=False)
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
    """``arcsim lint``: check a runbook of azcmagent commands against the best practices."""
    parser = sub.add_parser("lint", help="check a runbook of azcmagent commands",
                            description="Run a runbook's commands on a simulated agent and "
                            "report refused lines, typos and lockdown best-practice breaches. "
                            "Exit 1 when an error is found.")
    parser.add_argument("file", metavar="FILE", help="runbook: one command per line ('-': stdin)")
    parser.add_argument("--agent-version", type=version_arg, default=DEFAULT_AGENT_VERSION,
                        metavar="V", help=f"agent version (default {DEFAULT_AGENT_VERSION})")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(handler=run_lint)


def run_lint(args: argparse.Namespace) -> int:
    findings = lint(read_lines(args.file), agent_version=args.agent_version)
    if args.json:
        print_json({"file": args.file, "agent_version": str(args.agent_version),
                    "findings": [_finding_json(f) for f in findings]})
    else:
        _print_findings(args.file, findings)
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {"line": finding.line, "severity": finding.severity.value, "rule": finding.rule,
            "code": finding.code, "message": finding.message, "fix": finding.fix}


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
    state = run_commands(command_lines(args), args.agent_version)
    verb = Verb.CONFIG_LIST if args.action == "list" else Verb.CONFIG_GET
    command = Command(verb, key=getattr(args, "key", ""), line=f"azcmagent config {args.action}")
    try:
        print(execute(command, state).output)
    except CommandError as exc:
        raise CliError(exc.message) from None
    return 0


# --- the program ----------------------------------------------------------------------------

SUBCOMMANDS: tuple[Callable[[Subparsers], None], ...] = (add_explain, add_lint, add_config)
"""The rules subcommands' registration functions, in the order ``--help`` lists them."""

FACES: tuple[str, ...] = ("sim.cli_scenarios", "sim.cli_activity", "sim.cli_report",
                         "sim.cli_sweep", "sim.cli_import")
"""Modules whose ``register(sub)`` adds further subcommands (scenarios, analysis, sweeps,
import); imported when the parser is built, listed after :data:`SUBCOMMANDS`."""


def build_parser() -> argparse.ArgumentParser:
    """The ``arcsim`` parser with every subcommand of :data:`SUBCOMMANDS`."""
    parser: argparse.ArgumentParser = _Parser(
        prog="arcsim", description="Simulate extension security on Azure Arc-enabled servers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registrations = list(SUBCOMMANDS)
    registrations += [importlib.import_module(name).register for name in FACES]
    for register in registrations:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``arcsim`` with ``argv`` (default: the process arguments); return the exit status.
    arcsim's own warnings (an imported fleet's problems, fewer shards than asked) print as
    ``arcsim: notice: ...`` lines."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", ArcsimWarning)
        shown = warnings.showwarning

        def notice(message: Warning | str, category: type[Warning], filename: str,
                   lineno: int, file: Any = None, line: str | None = None) -> None:
            if issubclass(category, ArcsimWarning):
                print(f"arcsim: notice: {message}", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = notice
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        return handler(args)
    except ScenarioError as exc:  # located, possibly several lines: printed as they are
        print(exc, file=sys.stderr)
        return 2
    except ArcsimError as exc:
        return print_error(str(exc))
    except KeyboardInterrupt:
        print("arcsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped (``| head``)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
        return 141
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
