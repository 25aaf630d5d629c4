"""The ``azcmagent`` command language (spec R6, R8, R8a, R11, R20-R22)."""

from __future__ import annotations

import pytest

from sim.rules import (
    ALLOW_NONE,
    AgentConfig,
    CommandError,
    ErrorCode,
    ExtensionId,
    LocalState,
    Mode,
    Verb,
    apply,
    apply_all,
    parse,
    render_config_list,
)
from sim.rules.catalogue import default_monitor_list
from sim.rules.identity import parse_extension_list

AMA = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"
MMA = "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent"
CSE = "Microsoft.Azure.Extensions/CustomScript"


def fresh(version: str = "1.58") -> AgentConfig:
    return AgentConfig.fresh(version)


def run(*lines: str, version: str = "1.58") -> AgentConfig:
    return apply_all(list(lines), fresh(version)).config


def refusal(line: str, state: AgentConfig | LocalState | None = None) -> CommandError:
    with pytest.raises(CommandError) as caught:
        apply(line, state if state is not None else fresh())
    return caught.value


def names(items: tuple[ExtensionId, ...]) -> list[str]:
    return [i.name for i in items]


# --- R8a: set, get, list, clear, info --------------------------------------------------------


def test_r8a_set_then_get_prints_the_list() -> None:
    config = run(f'azcmagent config set extensions.allowlist "{AMA},{MMA}"')
    assert apply("azcmagent config get extensions.allowlist", config).output == f"[{AMA} {MMA}]"


def test_r8a_set_replaces_the_whole_list() -> None:
    config = run(f"azcmagent config set extensions.blocklist {AMA}",
                 f"azcmagent config set extensions.blocklist {MMA}")
    assert names(config.blocklist) == [MMA]


@pytest.mark.parametrize("flag", ["--add", "-a"])
def test_r8a_set_add_appends_one_entry(flag: str) -> None:
    config = run(f"azcmagent config set extensions.allowlist {AMA}",
                 f"azcmagent config set {flag} extensions.allowlist {MMA}",
                 f"azcmagent config set extensions.allowlist {flag} {AMA.upper()}")
    assert names(config.allowlist) == [AMA, MMA]


@pytest.mark.parametrize("flag", ["--remove", "-r"])
def test_r8a_set_remove_removes_one_entry(flag: str) -> None:
    config = run(f'azcmagent config set extensions.allowlist "{AMA},{MMA}"',
                 f"azcmagent config set extensions.allowlist {flag} {AMA.lower()}",
                 f"azcmagent config set extensions.allowlist {flag} Contoso/NotThere")
    assert names(config.allowlist) == [MMA]


def test_r8a_add_and_remove_together_is_refused() -> None:
    error = refusal(f"azcmagent config set extensions.allowlist --add --remove {AMA}")
    assert error.code is ErrorCode.USAGE
    assert "cannot be used together" in error.message


def test_r8a_add_on_a_bool_key_is_refused() -> None:
    error = refusal("azcmagent config set --add extensions.enabled false")
    assert error.code is ErrorCode.USAGE
    assert "only on list properties" in error.message


def test_r8a_flag_with_inline_value_is_refused_not_dropped() -> None:
    error = refusal(f"azcmagent config set extensions.allowlist --add={AMA}")
    assert error.code is ErrorCode.USAGE
    assert f'invalid argument "{AMA}" for "--add"' in error.message


@pytest.mark.parametrize("key", ["extensions.allowlist", "extensions.blocklist"])
def test_r8a_clear_list_key_restores_empty_default(key: str) -> None:
    config = run(f"azcmagent config set {key} {AMA}", f"azcmagent config clear {key}")
    assert config == fresh()


@pytest.mark.parametrize(("key", "value"), [
    ("extensions.enabled", "false"), ("guestconfiguration.enabled", "false"),
    ("incomingconnections.enabled", "false"),
])
def test_r8a_clear_restores_default(key: str, value: str) -> None:
    config = run(f"azcmagent config set {key} {value}", f"azcmagent config clear {key}")
    assert config == fresh()


def test_r22_clear_mode_returns_to_full_like_set_full() -> None:
    cleared = run("azcmagent config set config.mode monitor", "azcmagent config clear config.mode")
    set_full = run("azcmagent config set config.mode monitor",
                   "azcmagent config set config.mode full")
    assert cleared.mode is Mode.FULL
    assert cleared == set_full


def test_r8a_bool_values_ignore_case() -> None:
    config = run("azcmagent config set guestconfiguration.enabled FALSE")
    assert config.guest_configuration_enabled is False


def test_r8a_info_lists_each_key_with_its_default() -> None:
    output = apply("azcmagent config info", fresh("1.16")).output
    assert output.splitlines()[0] == "Configuration properties of agent 1.16"
    assert "extensions.allowlist" in output
    assert "config.mode" not in output


def test_r8a_read_commands_change_nothing() -> None:
    config = run(f"azcmagent config set extensions.blocklist {MMA}")
    for line in ("azcmagent config list", "azcmagent config info",
                 "azcmagent config get extensions.blocklist"):
        assert apply(line, config).state.config == config


@pytest.mark.parametrize("prefix", ["sudo azcmagent", "azcmagent", "azcmagent.exe",
                                    "AZCMAGENT.EXE"])
def test_r8a_sudo_and_exe_prefixes(prefix: str) -> None:
    assert names(run(f'{prefix} config set extensions.allowlist "{AMA}"').allowlist) == [AMA]


@pytest.mark.parametrize("line", [
    f"azcmagent config set extensions.allowlist '{AMA}, {MMA}'",
    f'azcmagent config set extensions.allowlist "{AMA}, {MMA}"',
    f"azcmagent config set extensions.allowlist {AMA},\\ {MMA}",
    f'azcmagent config set extensions.allowlist "{AMA}",{MMA}',
    f'azcmagent config set extensions.allowlist "{AMA},{MMA}"  # lockdown',
])
def test_r8a_lines_split_like_a_posix_shell(line: str) -> None:
    assert names(run(line).allowlist) == [AMA, MMA]


@pytest.mark.parametrize("line", [
    f'azcmagent config set extensions.allowlist "{AMA}',
    f"azcmagent config set extensions.allowlist '{AMA}",
])
def test_r8a_unbalanced_quotes_are_a_syntax_error(line: str) -> None:
    error = refusal(line)
    assert error.code is ErrorCode.SYNTAX
    assert "cannot split" in error.message


def test_r8a_spaces_around_entries_trimmed_and_empty_entries_skipped() -> None:
    config = run(f'azcmagent config set extensions.allowlist " {AMA} ,, {MMA}, "')
    assert names(config.allowlist) == [AMA, MMA]


def test_r8a_duplicates_kept_once() -> None:
    config = run(f'azcmagent config set extensions.allowlist "{AMA},{AMA.lower()}"')
    assert names(config.allowlist) == [AMA]


def test_r1_entry_with_inner_space_is_refused() -> None:
    error = refusal(f'azcmagent config set extensions.allowlist "{AMA} {MMA.split("/")[0]}"')
    assert error.code is ErrorCode.INVALID_VALUE
    assert error.rule == "R1"
    assert "space" in error.message


def test_r1_entry_without_slash_is_refused_and_named() -> None:
    error = refusal("azcmagent config set extensions.blocklist Contoso.NoSlash")
    assert error.code is ErrorCode.INVALID_VALUE
    assert '"Contoso.NoSlash"' in error.message


# --- error messages --------------------------------------------------------------------------


def test_r8a_unknown_key_suggests_the_closest() -> None:
    error = refusal("azcmagent config set extensions.alowlist x/y")
    assert error.code is ErrorCode.UNKNOWN_KEY
    assert 'did you mean "extensions.allowlist"?' in error.message
    assert str(error).startswith("Error: ")


@pytest.mark.parametrize(("line", "expected"), [
    ("azcmagent config set extensions.enabled yes", "expected true or false"),
    ("azcmagent config set guestconfiguration.enabled 0", "expected true or false"),
    ("azcmagent config set config.mode audit", "expected full or monitor"),
])
def test_r8a_invalid_value(line: str, expected: str) -> None:
    error = refusal(line)
    assert error.code is ErrorCode.INVALID_VALUE
    assert expected in error.message


@pytest.mark.parametrize("line", [
    "azcmagent frobnicate", "azcmagent config frob", "ls -l", "azcmagent extension install",
])
def test_r8a_unknown_command(line: str) -> None:
    assert refusal(line).code is ErrorCode.UNKNOWN_COMMAND


@pytest.mark.parametrize(("line", "expected"), [
    ("azcmagent config list --frob", "unknown flag: --frob"),
    ("azcmagent config set -x extensions.enabled true", "unknown shorthand flag: 'x' in -x"),
])
def test_r8a_unknown_flag(line: str, expected: str) -> None:
    error = refusal(line)
    assert error.code is ErrorCode.USAGE
    assert expected in error.message


@pytest.mark.parametrize(("line", "expected"), [
    ("azcmagent config get", '"azcmagent config get" accepts 1 arg(s), received 0'),
    ("azcmagent config list extra", '"azcmagent config list" accepts 0 arg(s), received 1'),
    (f"azcmagent config set extensions.allowlist {AMA}, {MMA}",
     "received 3; a value with spaces must be quoted"),
    ("azcmagent config", "needs a command"),
    ("sudo", "empty command line"),
])
def test_r8a_arity(line: str, expected: str) -> None:
    error = refusal(line)
    assert error.code is ErrorCode.USAGE
    assert expected in error.message


def test_r8a_parse_needs_no_state() -> None:
    command = parse("sudo azcmagent config set -r extensions.blocklist x/y")
    assert command.verb is Verb.CONFIG_SET
    assert (command.key, command.value, command.edit.value) == ("extensions.blocklist", "x/y",
                                                                "remove")


# --- R20 config list -------------------------------------------------------------------------


def row(key: str, value: str) -> str:
    """A row of ``config list``: two spaces, the key padded to the one fixed width (the longest
    key, guestconfiguration.agent.cpulimit), `` : ``, the value (R20)."""
    return f"  {key:<33} : {value}"


def test_r20_config_list_example_row_matches_exactly() -> None:
    output = apply(f"azcmagent config set extensions.blocklist {MMA}", fresh()).state
    rows = render_config_list(output.config).splitlines()
    assert row("extensions.blocklist",
               "[Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent]") in rows


def test_r20_config_list_full_output() -> None:
    config = run(f'azcmagent config set extensions.allowlist "{AMA},{MMA}"',
                 "azcmagent config set guestconfiguration.enabled false")
    assert apply("azcmagent config list", config).output == "\n".join([
        "Local Configuration Settings",
        row("extensions.allowlist", f"[{AMA} {MMA}]"),
        row("extensions.blocklist", "[]"),
        row("extensions.enabled", "true"),
        row("guestconfiguration.enabled", "false"),
        row("config.mode", "full"),
        row("incomingconnections.enabled", "true"),
        row("incomingconnections.ports", "[]"),
        row("connection.type", "default"),
        row("proxy.url", ""),
        row("proxy.bypass", "[]"),
        row("guestconfiguration.agent.cpulimit", "5"),
        row("extensions.agent.cpulimit", "5"),
    ])


def test_r20_r30_config_list_shows_only_keys_the_agent_has() -> None:
    assert render_config_list(fresh("1.16")) == "\n".join([
        "Local Configuration Settings",
        row("extensions.allowlist", "[]"),
        row("extensions.blocklist", "[]"),
        row("guestconfiguration.enabled", "true"),
        row("proxy.url", ""),
        row("proxy.bypass", "[]"),
    ])
    assert render_config_list(fresh("1.15")) == "\n".join([
        "Local Configuration Settings",
        row("proxy.url", ""),
        row("proxy.bypass", "[]"),
    ])
    assert render_config_list(fresh("1.12")) == "Local Configuration Settings"


def test_r20_config_list_shows_mode_and_monitor_list() -> None:
    config = run("azcmagent config set config.mode monitor")
    output = apply("azcmagent config list", config).output
    monitor = " ".join(e.name for e in default_monitor_list(config.version))
    assert row("extensions.allowlist", f"[{monitor}]") in output
    assert row("config.mode", "monitor") in output
    assert row("guestconfiguration.enabled", "false") in output


# --- R21, R22 monitor mode -------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    f"azcmagent config set extensions.allowlist {AMA}",
    f"azcmagent config set --add extensions.allowlist {AMA}",
    f"azcmagent config set -r extensions.blocklist {MMA}",
    f"azcmagent config set extensions.blocklist {CSE}",
    "azcmagent config clear extensions.allowlist",
    "azcmagent config clear extensions.blocklist",
])
def test_r21_lists_frozen_in_monitor_mode(line: str) -> None:
    monitor = run(f"azcmagent config set extensions.blocklist {MMA}",
                  "azcmagent config set config.mode monitor")
    error = refusal(line, monitor)
    assert error.code is ErrorCode.LISTS_FROZEN
    assert error.rule == "R21"
    assert "config.mode full" in error.message


def test_r21_other_keys_still_change_in_monitor_mode() -> None:
    config = run("azcmagent config set config.mode monitor",
                 "azcmagent config set extensions.enabled false")
    assert config.is_monitor_mode
    assert not config.extensions_enabled


def test_r22_back_to_full_keeps_lists_in_effect_from_1_22() -> None:
    config = run(f"azcmagent config set extensions.blocklist {MMA}",
                 "azcmagent config set config.mode monitor",
                 "azcmagent config set config.mode full", version="1.22")
    assert config.mode is Mode.FULL
    assert config.allowlist == default_monitor_list(config.version)
    assert config.blocklist == ()


def test_r22_back_to_full_resets_lists_before_1_22() -> None:
    config = run(f"azcmagent config set extensions.blocklist {MMA}",
                 "azcmagent config set config.mode monitor",
                 "azcmagent config set config.mode full", version="1.21")
    assert (config.allowlist, config.blocklist) == ((), ())


def test_r22_clear_resets_kept_lists() -> None:
    config = run("azcmagent config set config.mode monitor",
                 "azcmagent config set config.mode full",
                 "azcmagent config clear extensions.allowlist", version="1.22")
    assert config == fresh("1.22")


def test_r22_then_own_lists_can_be_set() -> None:
    config = run("azcmagent config set config.mode monitor",
                 "azcmagent config set config.mode full",
                 f"azcmagent config set extensions.allowlist {AMA}")
    assert names(config.allowlist) == [AMA]


# --- R6 extension list / remove --------------------------------------------------------------

INSTALLED = tuple(ExtensionId.parse(n) for n in (AMA, CSE, MMA))


def machine(version: str = "1.39", running: bool = False) -> LocalState:
    return LocalState(fresh(version), installed=INSTALLED, service_running=running)


def test_r6_extension_list_shows_installed() -> None:
    assert apply("azcmagent extension list", machine(running=True)).output == "\n".join(
        e.name for e in INSTALLED)


@pytest.mark.parametrize("line", ["azcmagent extension list",
                                  "azcmagent extension remove --all"])
def test_r6_extension_cli_needs_1_39(line: str) -> None:
    error = refusal(line, machine("1.38"))
    assert error.code is ErrorCode.UNKNOWN_COMMAND
    assert error.rule == "R6"
    assert "1.39" in error.message


def test_r6_remove_refused_while_service_runs() -> None:
    error = refusal(f"azcmagent extension remove --name {CSE}", machine(running=True))
    assert error.code is ErrorCode.SERVICE_RUNNING
    assert error.rule == "R6"


@pytest.mark.parametrize("stop", ["systemctl stop extd", "sudo systemctl stop extd",
                                  "Stop-Service ExtensionService", "net stop extd"])
def test_r6_remove_after_stopping_the_service(stop: str) -> None:
    state = apply(stop, machine(running=True)).state
    assert not state.service_running
    after = apply(f"azcmagent extension remove --name {CSE}", state).state
    assert names(after.installed) == [AMA, MMA]
    assert apply("systemctl start extd", after).state.service_running


@pytest.mark.parametrize("flag", [f"--name {CSE.lower()}", "--name customscript", "-n CustomScript",
                                  f"--name={CSE}"])
def test_r6_remove_by_publisher_type_or_type(flag: str) -> None:
    after = apply(f"azcmagent extension remove {flag}", machine()).state
    assert names(after.installed) == [AMA, MMA]


@pytest.mark.parametrize("flag", ["--all", "-a"])
def test_r6_remove_all(flag: str) -> None:
    assert apply(f"azcmagent extension remove {flag}", machine()).state.installed == ()


def test_r6_remove_not_installed_is_refused() -> None:
    error = refusal("azcmagent extension remove --name Contoso/Absent", machine())
    assert error.code is ErrorCode.INVALID_VALUE
    assert "not installed" in error.message


@pytest.mark.parametrize("line", ["azcmagent extension remove",
                                  f"azcmagent extension remove --all --name {CSE}",
                                  "azcmagent extension remove --name"])
def test_r6_remove_needs_exactly_one_target(line: str) -> None:
    assert refusal(line, machine()).code is ErrorCode.USAGE


def test_r6_remove_does_not_touch_configuration() -> None:
    state = LocalState(run(f"azcmagent config set extensions.blocklist {CSE}", version="1.40"),
                       installed=INSTALLED, service_running=False)
    after = apply("azcmagent extension remove --all", state).state
    assert after.config == state.config


# --- R8 local only, keys missing on old agents; R11 any time ---------------------------------


@pytest.mark.parametrize("line", [
    f"azcmagent config set extensions.allowlist {AMA}",
    f"azcmagent config set extensions.blocklist {AMA}",
    "azcmagent config set guestconfiguration.enabled false",
    "azcmagent config get extensions.allowlist",
    "azcmagent config clear extensions.blocklist",
])
def test_r8_keys_missing_before_1_16(line: str) -> None:
    error = refusal(line, fresh("1.15"))
    assert error.code is ErrorCode.KEY_UNAVAILABLE
    assert error.rule == "R30"
    assert "requires agent 1.16 or later" in error.message
    assert apply(line, fresh("1.16")).state is not None


def test_r11_lists_can_be_set_before_the_agent_is_connected() -> None:
    never_connected = LocalState(fresh(), installed=(), service_running=False)
    state = apply(f"azcmagent config set extensions.allowlist {AMA}", never_connected).state
    assert names(state.config.allowlist) == [AMA]


def test_r15_allow_none_set_through_the_command() -> None:
    config = run('azcmagent config set extensions.allowlist "Allow/None"', version="1.35")
    assert config.allowlist == (ALLOW_NONE,)


@pytest.mark.parametrize(("line", "expected"), [
    ('azcmagent config set extensions.allowlist "Allow/None,' + AMA + '"', "cannot be combined"),
    ('azcmagent config set extensions.blocklist "Allow/None"', "only valid in extensions.allow"),
])
def test_r15_allow_none_misuse_is_refused(line: str, expected: str) -> None:
    error = refusal(line)
    assert error.rule == "R15"
    assert expected in error.message


def test_r15_allow_none_cannot_be_added_to_a_list() -> None:
    config = run(f"azcmagent config set extensions.allowlist {AMA}")
    assert "cannot be combined" in refusal(
        'azcmagent config set --add extensions.allowlist "Allow/None"', config).message


def test_r8a_parse_extension_list_helper() -> None:
    assert names(parse_extension_list(f" {AMA} , ,{MMA},")) == [AMA, MMA]
