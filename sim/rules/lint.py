"""Best-practice and correctness checks of a planned lockdown (spec R1, R7, R8a, R15, R17-R19,
R21, R24, R30).

:func:`lint` reads an :class:`AgentConfig`, or a script as people write them (a runbook of
commands, a bash or PowerShell onboarding or hardening script, a batch file:
:mod:`sim.rules.script_calls`), and returns :class:`Finding` records sorted by line. Only the
agent calls of a script are run, in order, on a fresh agent of each version asked for, exactly
as the agent would (a refused line changes nothing and the next still runs); every other
statement is skipped (listed with ``strict``). Findings are about the configuration the script
produces: refused lines, unknown or malformed extension names, version gates, lockdown best
practice, commands that have no effect on extension security (connect, show...), values the
script takes from variables it does not set. Where the documentation leaves the agent's
behaviour open (``Allow/None`` before 1.35, a malformed list entry), the findings follow the
:class:`~sim.rules.readings.Readings` given and say what each reading means. Pure: no I/O
(configuration files named by ``--config`` are given by the caller, :func:`config_file_names`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sim.rules.catalogue import BUILTIN, Catalogue
from sim.rules.command_parse import Command, CommandError, ErrorCode, Verb, parse_words
from sim.rules.commands import LocalState, execute
from sim.rules.config import KEYS_BY_NAME, SECURITY_KEYS, AgentConfig
from sim.rules.identity import TYPOGRAPHIC_QUOTES, ExtensionId, ExtensionIdError
from sim.rules.lint_checks import (
    NO_PROTECTION,
    Finding,
    Severity,
    config_findings,
    entry_findings,
    entry_findings_of,
    old_allow_none,
    version_findings,
)
from sim.rules.readings import DEFAULT_READINGS, Readings
from sim.rules.script_calls import AgentCall, ScriptReading, Unresolved, read_script
from sim.rules.script_text import Language
from sim.rules.versions import AgentVersion

DEFAULT_AGENT_VERSION = AgentVersion.parse("1.58")
"""The agent a script is checked against when no version is given (a recent release)."""

_REFUSED = ("command_refused", "", "correct the line; until then the agent keeps its previous "
            "configuration")
_REFUSAL_KINDS = {
    ErrorCode.KEY_UNAVAILABLE: ("key_unavailable", "R30", "upgrade the agent, or drop the line"),
    ErrorCode.ALLOW_NONE_UNSUPPORTED: ("allow_none_unsupported", "R15",
                                       "upgrade the agent to 1.35 or later"),
    ErrorCode.LISTS_FROZEN: ("lists_frozen", "R21",
                             "run azcmagent config set config.mode full before this line"),
}


def lint(
    source: AgentConfig | Sequence[str] | str,
    catalogue: Catalogue = BUILTIN,
    *,
    agent_version: AgentVersion | str | None = None,
    agent_versions: Sequence[AgentVersion | str] = (),
    strict: bool = False,
    name: str = "",
    config_files: Mapping[str, Mapping[str, object]] | None = None,
    readings: Readings = DEFAULT_READINGS,
) -> list[Finding]:
    """Findings for a configuration or a script (a text, or a sequence of its lines).

    ``agent_version``/``agent_versions``: the agents the script runs on (default
    :data:`DEFAULT_AGENT_VERSION`); a finding that holds on only some of them says which. For an
    :class:`AgentConfig` the first replaces the config's own version. ``strict`` lists the
    statements that are not agent calls; ``name`` (the file name) helps tell the language;
    ``config_files`` maps the names given to ``--config`` to their parsed content;
    ``readings`` are how the agent is taken to treat what the documentation leaves open
    (:mod:`sim.rules.readings`). Raises :class:`~sim.rules.versions.VersionError` for a
    malformed version.
    """
    versions = [AgentVersion.parse(v) for v in (
        [agent_version] if agent_version is not None else []) + list(agent_versions)]
    if isinstance(source, AgentConfig):
        config = source.with_version(versions[0]) if versions else source
        return [*version_findings(config), *entry_findings_of(config, catalogue),
                *config_findings(config, catalogue, {})]
    text = source if isinstance(source, str) else "\n".join(source)
    reading = read_script(text, name)
    runs = {v: _Run(reading, catalogue, v, config_files or {}, readings).findings()
            for v in dict.fromkeys(versions or [DEFAULT_AGENT_VERSION])}
    merged = _merged(runs)
    if strict:
        merged += [Finding(Severity.INFO, "not_an_agent_call", "R8a",
                           f"not an agent call: skipped ({_short(s.text)})", "", s.line)
                   for s in reading.skipped]
    return sorted(merged, key=_order)


def config_file_names(text: str, name: str = "") -> list[str]:
    """The files a script passes to ``--config`` (for the caller to read and give to
    :func:`lint` as ``config_files``)."""
    names: list[str] = []
    for call in read_script(text, name).calls:
        words = list(call.words)
        for i, word in enumerate(words):
            if word == "--config" and i + 1 < len(words):
                names.append(words[i + 1])
            elif word.startswith("--config="):
                names.append(word.partition("=")[2])
    return list(dict.fromkeys(n for n in names if not isinstance(n, Unresolved)))


def _order(finding: Finding) -> float:
    """Sort key: the line (configuration-wide findings last); ties keep their order (the
    line's own findings, then what the configuration after it shows)."""
    return float("inf") if finding.line is None else float(finding.line)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."


def _merged(runs: Mapping[AgentVersion, list[Finding]]) -> list[Finding]:
    """One list: a finding every version gives once, the others tagged with their versions."""
    seen: dict[Finding, list[AgentVersion]] = {}
    for version, findings in runs.items():
        for finding in findings:
            seen.setdefault(finding, []).append(version)
    if len(runs) == 1:
        return list(seen)
    return [finding if len(found) == len(runs) else replace(
        finding, message=f"(agent {', '.join(map(str, found))}) {finding.message}")
        for finding, found in seen.items()]


@dataclass
class _Run:
    """One script run on a fresh agent of one version."""

    reading: ScriptReading
    catalogue: Catalogue
    version: AgentVersion
    config_files: Mapping[str, Mapping[str, object]]
    readings: Readings
    findings_: list[Finding] = field(default_factory=list)
    set_by: dict[str, int] = field(default_factory=dict)

    def findings(self) -> list[Finding]:
        state = LocalState(AgentConfig.fresh(self.version), installed=self.removed())
        for call in self.reading.calls:
            state = self.call(call, state)
        return self.findings_ + config_findings(state.config, self.catalogue, self.set_by)

    def removed(self) -> tuple[ExtensionId, ...]:
        """The extensions the script removes by name, taken as installed (a script removes
        what it expects to find)."""
        names: list[ExtensionId] = []
        for call in self.reading.calls:
            words = [w.lower() for w in call.words]
            if words[1:3] == ["extension", "remove"] and "--name" in words:
                at = words.index("--name") + 1
                name = call.words[at] if at < len(words) else ""
                try:
                    names.append(ExtensionId.parse(name if "/" in name else f"Any/{name}"))
                except ExtensionIdError:
                    continue
        return tuple(dict.fromkeys(names))

    def call(self, call: AgentCall, state: LocalState) -> LocalState:
        """Run one agent call as the agent would; record its findings; the state after it."""
        try:
            command = parse_words(call.words, call.text)
        except CommandError as error:
            self.findings_ += _refusal_findings(error, call, self.catalogue,
                                                self.reading.language, self.readings)
            return state
        unknown = [w for w in call.words[1:] if isinstance(w, Unresolved)]
        if command.changes_config and isinstance(command.value, Unresolved):
            self.findings_.append(_not_known(command, call.line))
            return state
        if command.verb is Verb.OTHER:
            self.findings_.append(_no_effect(command, call.line, bool(unknown)))
            return self.config_file(command, call, state)
        return self.run(command, call.line, state)

    def run(self, command: Command, line: int, state: LocalState) -> LocalState:
        """Execute one parsed command under the run's readings; record its findings."""
        entries = list(entry_findings(command, self.catalogue, line, self.readings))
        try:
            after = execute(command, state, readings=self.readings).state
        except CommandError as error:
            code, rule, fix = _REFUSAL_KINDS.get(error.code, _REFUSED)
            why = f"; {NO_PROTECTION}" if error.code is ErrorCode.ALLOW_NONE_UNSUPPORTED else ""
            self.findings_.append(Finding(
                Severity.ERROR, code, rule or error.rule or "R8a",
                f"the agent refuses this line and changes nothing: {error}{why}", fix, line))
        else:
            if command.changes_config:
                self.set_by[command.key] = line
            self.findings_ += old_allow_none(state.config, after.config, line)
            state = after
        self.findings_ += entries
        return state

    def config_file(self, command: Command, call: AgentCall, state: LocalState) -> LocalState:
        """``--config FILE``: the configuration properties it names are set, in file order."""
        if not command.config_file:
            return state
        content = self.config_files.get(command.config_file)
        if content is None:
            self.findings_.append(Finding(
                Severity.INFO, "config_file_not_read", "R8a",
                f"--config {command.config_file}: the file was not given, so what it sets is "
                "not known", "lint the script from its folder, with the file next to it",
                call.line))
            return state
        for key, value in content.items():
            if key in KEYS_BY_NAME:
                text = ",".join(map(str, value)) if isinstance(value, list) else (
                    str(value).lower() if isinstance(value, bool) else str(value))
                # the file's value is data, never flags: set as is ("-x" is a refused value)
                setting = Command(Verb.CONFIG_SET, key=key, value=text,
                                  line=f"{command.config_file}: {key}")
                state = self.run(setting, call.line, state)
        return state


def _not_known(command: Command, line: int) -> Finding:
    severity = Severity.WARNING if command.key in SECURITY_KEYS else Severity.INFO
    return Finding(severity, "value_not_known", "R8a",
                   f"{command.key} is set from {command.value}, which the script does not set: "
                   f"what the agent ends up with for {command.key} is not known",
                   "set the value in the script, or lint the script with the value written in",
                   line)


def _no_effect(command: Command, line: int, unknown: bool) -> Finding:
    note = " (some of its values come from variables the script does not set)" if unknown else ""
    return Finding(Severity.INFO, "no_effect", "R8a",
                   f"azcmagent {command.program}: no effect on extension security (read, not "
                   f"simulated){note}", "", line)


def _refusal_findings(error: CommandError, call: AgentCall, catalogue: Catalogue,
                      language: Language, readings: Readings) -> Iterator[Finding]:
    """The refusal itself; for a line split by typographic quotes (not quotes in bash or
    cmd), also what its entries would be with straight quotes, under ``readings``."""
    code, rule, fix = _REFUSAL_KINDS.get(error.code, _REFUSED)
    rule = rule or error.rule or "R8a"
    typographic = any(c in TYPOGRAPHIC_QUOTES for w in call.words for c in w)
    if typographic:
        code, rule, fix = "typographic_quotes", "R8a", 'retype the quotes as straight quotes (")'
    yield Finding(Severity.ERROR, code, rule,
                  f"the agent refuses this line and changes nothing: {error}", fix, call.line)
    if typographic and language is not Language.POWERSHELL:
        straight = "".join('"' if c in TYPOGRAPHIC_QUOTES else c for c in call.text)
        for again in read_script(straight, language=language).calls:
            try:
                yield from entry_findings(parse_words(again.words, straight), catalogue,
                                          call.line, readings)
            except CommandError:
                return


__all__ = ["DEFAULT_AGENT_VERSION", "Finding", "Severity", "config_file_names", "lint"]
