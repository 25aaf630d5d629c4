"""``arcsim plan``: what a candidate lockdown does to a fleet, exactly, before simulating it.

Reads a fleet (a scenario, a fleet file from ``arcsim import``, or Azure inventory exports
directly), a lockdown as the commands a person types on each machine (``--lockdown`` for every
machine, ``--group PATTERN=RUNBOOK`` for some groups) and optional Azure Policy definitions,
and prints, report-style: per extension what the lockdown does (keeps running or stops, R24;
install, update, upgrade, automatic upgrade, resync reinstall and delete allowed, blocked or
denied, by which rule), the machines it cannot reach and why, and the override paths it leaves
open with who could use them (R7, R17, R18, R27). ``--json`` prints everything, per machine
too; ``--csv FILE`` writes one row per machine and extension. Exit status: 0 done, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from typing import Any

import pandas as pd
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from sim.cli.agent import extension_arg, version_arg
from sim.cli.common import Subparsers, UsageError
from sim.cli.status import ExitStatus
from sim.quantities import short_names
from sim.rules.reference import RULES_DOC, rule_link
from sim.terminal import make_console

_STYLE = {"allowed": "green", "keeps_running": "green", "blocked": "bold red",
          "denied": "bold red", "stops": "red", "waits": "yellow", "not_offered": "dim",
          "orphaned": "yellow", "removed": "yellow"}
_QUIET_REASONS = frozenset({"allowed", "keeps_running"})
"""Outcomes shown without their reason (the per-machine tables have it)."""


def register(sub: Subparsers) -> None:
    """Add ``plan`` to ``sub``."""
    parser = sub.add_parser(
        "plan", help="what a lockdown does to a fleet, exactly, before simulating",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None)
    parser.add_argument("--fleet", nargs="+", action="extend", required=True,
                        metavar="FLEET", help="a scenario file or shipped name, a fleet file "
                        "(arcsim import --out), or inventory export files")
    parser.add_argument("--lockdown", metavar="RUNBOOK",
                        help="the commands every machine runs, one per line")
    parser.add_argument("--group", action="append", default=[], type=_group_arg,
                        metavar="PATTERN=RUNBOOK", help="the runbook of the groups whose name "
                        "matches PATTERN (* and ? wildcards), instead of --lockdown "
                        "(repeatable; the first match wins)")
    parser.add_argument("--policy", action="append", default=[], type=_policy_arg,
                        metavar="FILE[=PARAMETERS]", help="an Azure Policy definition (JSON) "
                        "assigned to the whole fleet, with its parameters as a JSON object "
                        "after '=' (repeatable)")
    parser.add_argument("--request", action="append", default=[], metavar="PUBLISHER/TYPE",
                        type=extension_arg, help="also plan an install of this extension on "
                        "every machine of its OS (repeatable)")
    parser.add_argument("--agent-version", type=version_arg, metavar="V",
                        help="update agents older than V to V before the lockdown (R30)")
    parser.add_argument("--seed", type=_seed_arg, metavar="N", help="which machines of a mixed "
                        "group run which agent version (default: the scenario's, else 0)")
    parser.add_argument("--reading", action="append", default=[], type=_reading_arg,
                        metavar="NAME=VALUE", help="how to read a question the documentation "
                        "leaves open, instead of the scenario's params or the default: "
                        "allow_none_before_1_35, malformed_list_entry, "
                        "deny_refuses_automatic_upgrades, disabled_manager_requests "
                        "(repeatable; see docs/rules.md)")
    parser.add_argument("--json", action="store_true",
                        help="print the whole plan, per machine too, as JSON")
    parser.add_argument("--csv", metavar="FILE",
                        help="write one row per machine and extension to FILE ('-': stdout)")
    parser.set_defaults(handler=run_plan)


def _group_arg(text: str) -> tuple[str, str]:
    pattern, sep, runbook = text.partition("=")
    if not sep or not pattern.strip() or not runbook.strip():
        raise argparse.ArgumentTypeError(f'expected PATTERN=RUNBOOK (a group name or pattern, '
                                         f'"=", a runbook file), got "{text}"')
    return pattern.strip(), runbook.strip()


_SEEDS = 2**63
"""Seeds are 0 to 2**63 - 1, as a scenario's ``seed:`` (another value would alias one)."""


def _seed_arg(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a whole number, got "{text}"') from None
    if not 0 <= seed < _SEEDS:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {_SEEDS - 1}, got {text}")
    return seed


def _reading_arg(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f'expected NAME=VALUE (a reading, "=", its value), '
                                         f'got "{text}"')
    return name.strip(), value.strip()


def _policy_arg(text: str) -> Any:
    path, sep, parameters = text.partition("=")
    if not sep:
        return text
    try:
        values = json.loads(parameters)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"{path}: the parameters after '=' are not JSON "
                                         f"(column {exc.colno}: {exc.msg})") from None
    if not isinstance(values, dict):
        raise argparse.ArgumentTypeError(f"{path}: the parameters after '=' must be a JSON "
                                         f"object like '{{\"effect\": \"Deny\"}}'")
    return (path, values)


def run_plan(args: argparse.Namespace) -> int:
    """Make the plan; print it (table or JSON) and write the CSV."""
    from sim.planning import plan

    if args.json and args.csv == "-":
        raise UsageError("--json and --csv - both print to stdout: give --csv a file")
    made = plan(args.fleet, args.lockdown, groups=args.group, policies=args.policy,
                requests=[e.name for e in args.request], agent_version=args.agent_version,
                seed=args.seed, readings=dict(args.reading) or None)
    if args.csv:
        made.write_csv(args.csv)
    if args.json:
        made.write_json(sys.stdout)
    elif args.csv != "-":
        print_plan(made, make_console())
        if args.csv:
            print(f"{len(made.verdicts)} rows (machine x extension) written to {args.csv}")
    return ExitStatus.OK


# --- the report -------------------------------------------------------------------------------


def print_plan(made: Any, console: Console) -> None:
    """The plan, report-style: what it is, per extension, unreachable machines, open paths."""
    console.print(_heading(made))
    console.print(extension_table(made.summary, made.machine_count))
    if made.locked:  # else no machine runs a line: nothing to reach
        console.print(unreachable_table(made.unreachable, made.missed, made.machine_count))
    console.print(paths_table(made.paths, made.machine_count))
    for note in made.notes:
        console.print(f"Assumption: {note}", markup=False)
    console.print("Per machine: --csv FILE (one row per machine and extension) or --json; "
                  "then simulate the lockdown with arcsim run.", style="dim", markup=False)
    console.print(f"Rule ids (R13 ...) are explained in {RULES_DOC}, each at its own anchor "
                  f"({rule_link('R13')}).",
                  style="dim", markup=False)


def _heading(made: Any) -> Group:
    lines = [Text.assemble(("Plan", "bold"), f" for {made.fleet}: {_reach(made)}")]
    for use in made.lockdown:
        lines.append(Text(f"  {use.source}: {use.commands} commands, for "
                          f"{_listed(use.groups)}{_skipped(use.skipped)}"))
    if made.unlocked_groups:
        lines.append(Text(f"  no lockdown for {_listed(made.unlocked_groups)}: their machines "
                          "keep their configuration", style="yellow"))
    return Group(*lines)


def _reach(made: Any) -> str:
    """How many machines there are, and how many the lockdown reaches: only machines whose
    runbook has a command count (a machine without one is not reached by anything)."""
    total, locked, reached = made.machine_count, made.locked, made.reached
    if not locked:
        return f"{total:,} machines, no lockdown (the fleet as it is)"
    if locked == total:
        return f"{total:,} machines, {reached:,} reached by every line of their runbook"
    return (f"{total:,} machines, {locked:,} with a runbook, {reached:,} of them reached by "
            "every line of it")


def _skipped(lines: tuple[int, ...]) -> str:
    if not lines:
        return ""
    if len(lines) == 1:
        return f"; line {lines[0]} is not an agent command (skipped)"
    return f"; lines {', '.join(map(str, lines))} are not agent commands (skipped)"


def _listed(names: tuple[str, ...], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more groups" if len(names) > limit else "")


def extension_table(summary: pd.DataFrame, machines: int) -> Table:
    """Per extension (rows) and action (columns): machines by outcome."""
    from sim.planning.frames import ACTIONS

    table = Table(title=f"What the lockdown does, by extension ({machines:,} machines)",
                  title_justify="left", show_lines=True)
    table.add_column("extension", no_wrap=True)
    for action in ACTIONS:
        table.add_column(action.replace("_", " "), overflow="fold", min_width=9)
    cells = _cells(summary)
    short = short_names(list(cells))
    for ext, by_action in cells.items():
        table.add_row(Text(short[ext], "bold"),
                      *(Text("\n").join(by_action.get(a) or [Text("-", "dim")])
                        for a in ACTIONS))
    if not cells:
        table.add_row("no installed or requested extension", *("" for _ in ACTIONS))
    return table


def _cell(row: dict[Any, Any]) -> Text:
    outcome = str(row["outcome"])
    text = f"{int(row['machines']):,} {outcome.replace('_', ' ')}"
    if outcome not in _QUIET_REASONS:
        text += f"\n{str(row['reason']).replace('_', ' ')} ({row['rule']})"
    return Text(text, _STYLE.get(outcome, ""))


def _cells(summary: pd.DataFrame) -> dict[str, dict[str, list[Text]]]:
    """Per extension (in the summary's order) and action, the lines of its cell: the quiet
    outcomes' machines added up over their reasons and rules (allowed by R12 and by R13 are
    one count), then the other outcomes, each with its reason and rule."""
    cells: dict[str, dict[str, list[Text]]] = {
        str(ext): defaultdict(list) for ext in summary["extension"].unique()}
    quiet = summary["outcome"].isin(_QUIET_REASONS)
    added = (summary[quiet].groupby(["extension", "action", "outcome"], sort=False)["machines"]
             .sum().reset_index())
    for row in added.to_dict("records"):
        cells[str(row["extension"])][str(row["action"])].append(_cell(row))
    for row in summary[~quiet].to_dict("records"):
        cells[str(row["extension"])][str(row["action"])].append(_cell(row))
    return cells


def unreachable_table(unreachable: pd.DataFrame, missed: int, machines: int,
                      limit: int = 20) -> Table:
    """Refused runbook lines, each with the groups and agent versions that refuse it and how
    many machines; ``missed`` machines refused at least one line. At most ``limit`` rows,
    most machines first."""
    table = Table(title=f"Machines the lockdown does not fully reach: {missed:,} of "
                  f"{machines:,}", title_justify="left")
    for name in ("runbook line", "refused because", "groups (agent)", "machines"):
        table.add_column(name, overflow="fold", justify="right" if name == "machines" else "left")
    rows = _by_line(unreachable)
    for r in rows[:limit]:
        table.add_row(f"{r['lockdown']}:{r['line']}\n{r['command']}",
                      f"{r['code']} ({r['rule']}): {r['message']}", r["groups"],
                      f"{r['machines']:,}")
    if len(rows) > limit:
        rest = sum(r["machines"] for r in rows[limit:])
        table.add_row(f"... {len(rows) - limit} more refused lines", "", "", f"{rest:,}",
                      style="dim")
    if not rows:
        table.add_row("every machine took every line", "-", "-", "0")
    return table


def _by_line(unreachable: pd.DataFrame) -> list[dict[str, Any]]:
    """The refusals added up over groups: one row per refused line and reason."""
    keys = ["lockdown", "line", "command", "code", "rule", "message"]
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in unreachable.to_dict("records"):
        row = rows.setdefault(tuple(r[k] for k in keys),
                              {**{k: r[k] for k in keys}, "machines": 0, "where": []})
        row["machines"] += int(r["machines"])
        row["where"].append(f"{r['group']} ({r['agent_version']})")
    for row in rows.values():
        where = row.pop("where")
        row["groups"] = ", ".join(where[:4]) + (f" and {len(where) - 4} more"
                                                if len(where) > 4 else "")
    return sorted(rows.values(), key=lambda row: -row["machines"])


def paths_table(paths: pd.DataFrame, machines: int) -> Table:
    """Open override paths: machines, the extensions behind them, who could use them."""
    table = Table(title=f"Open override paths left (of {machines:,} machines)",
                  title_justify="left")
    for name in ("path", "rule", "machines", "through", "who could use it (R27)"):
        table.add_column(name, overflow="fold", justify="right" if name == "machines" else "left")
    for r in paths.to_dict("records"):
        names = [n.strip() for n in str(r["extensions"]).split(",") if n.strip()]
        through = ", ".join(short_names(names).values()) or "-"
        who = r["who"] or f"no actor known (a scenario names them); roles that could: {r['roles']}"
        table.add_row(str(r["path"]).replace("_", " "), str(r["rule"]),
                      f"{int(r['machines']):,}", through, who, style="red" if r["who"] else "")
    if not len(paths):
        table.add_row("none", "-", "0", "-", "-")
    return table


__all__ = ["extension_table", "paths_table", "print_plan", "register", "run_plan",
           "unreachable_table"]
