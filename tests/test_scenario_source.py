"""Loading YAML with located errors: every problem reads ``file:line: field.path: message``."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.errors import ArcsimError
from sim.files import FileError, read_bytes
from sim.scenario.limits import ReadLimits
from sim.scenario.source import (
    LocatedDocument,
    Problem,
    ScenarioError,
    format_path,
    format_pydantic_errors,
    load_yaml_file,
    load_yaml_text,
    model_keys,
    validate_document,
)
from sim.scenario.units import Duration, Size, Version, parse_duration

# --- a throwaway schema ------------------------------------------------------------------


class Extension(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: Version | None = None


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int
    agent_version: Version
    sync_period: Duration = 300.0
    download: Size | None = None
    extensions: list[Extension] = []


class Install(BaseModel):
    model_config = ConfigDict(extra="forbid")
    install: str
    at: Duration


class Remove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remove: str
    at: Duration


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sync_period: Duration = 300.0
    failure_rate: float = 0.0
    warmup: str = "0s"

    @field_validator("warmup")
    @classmethod
    def _readable(cls, value: str) -> str:
        parse_duration(value)
        return value


class Toy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    fleet: list[Group]
    parameters: Parameters | None = None
    groups: dict[str, Group] = {}
    timeline: list[Install | Remove] = []
    expect: dict[str, float] = {}
    start_date: str | None = Field(default=None, alias="start-date")


GOOD = """\
name: demo
fleet:
  - name: web
    size: 100
    agent_version: "1.35"
  - name: db
    size: 20
    agent_version: "1.58.03228.700"
    download: 45MB
    extensions:
      - name: Microsoft.Azure.Monitor.AzureMonitorLinuxAgent
        version: "1.2"
parameters:
  sync_period: 5m
"""


def errors_of(text: str, model: type[BaseModel] = Toy) -> list[str]:
    """The rendered lines of the error that loading and validating ``text`` raises."""
    with pytest.raises(ScenarioError) as caught:
        validate_document(load_yaml_text(textwrap.dedent(text), "scenario.yaml"), model)
    return str(caught.value).splitlines()


def test_a_good_scenario_validates() -> None:
    toy = validate_document(load_yaml_text(GOOD, "scenario.yaml"), Toy)
    assert [group.name for group in toy.fleet] == ["web", "db"]
    assert toy.fleet[1].download == 45_000_000
    assert toy.parameters is not None and toy.parameters.sync_period == 300.0


# --- the table of broken inputs ----------------------------------------------------------

FLEET_HEAD = """\
name: demo
fleet:
  - name: web
    size: 100
    agent_version: "1.35"
"""

BROKEN: list[tuple[str, str, list[str]]] = [
    (
        "bad duration",
        FLEET_HEAD + "    sync_period: 5 minutes\n",
        [
            'scenario.yaml:6: fleet[0].sync_period: expected a duration like "90s", "5m", "2h",'
            ' "3d" or "1w", got "5 minutes"'
        ],
    ),
    (
        "bad size",
        FLEET_HEAD + "    download: 45 megs\n",
        [
            'scenario.yaml:6: fleet[0].download: expected a size like "45MB", "1.5GB", "512KiB"'
            ' or "10B", got "45 megs"'
        ],
    ),
    (
        "float version",
        FLEET_HEAD + "  - name: db\n    size: 1\n    agent_version: 1.2\n",
        [
            'scenario.yaml:8: fleet[1].agent_version: expected a version string like "1.35",'
            " got 1.2 (a number: quote it)"
        ],
    ),
    (
        "YAML syntax error",
        "name: demo\nfleet:\n  - name: web\n   size: 100\n",
        [
            "scenario.yaml:4: invalid YAML: expected <block end>, but found '<block mapping"
            " start>' (column 4, while parsing a block collection on line 3); check the"
            " indentation"
        ],
    ),
    (
        "tab indentation",
        "name: demo\nfleet:\n\t- name: web\n",
        [
            "scenario.yaml:3: invalid YAML: found character '\\t' that cannot start any token"
            " (column 1)"
        ],
    ),
    (
        "duplicate key",
        FLEET_HEAD + "    size: 200\n",
        ['scenario.yaml:6: fleet[0].size: duplicate key "size" (first written on line 4)'],
    ),
    (
        "unknown key with suggestion",
        FLEET_HEAD + "    agent_verison: '1.40'\n",
        [
            'scenario.yaml:6: fleet[0].agent_verison: unknown key "agent_verison",'
            ' did you mean "agent_version"?'
        ],
    ),
    (
        "unknown top-level key without a close match",
        FLEET_HEAD + "colour: red\n",
        [
            'scenario.yaml:6: colour: unknown key "colour"; allowed keys: expect, fleet, groups,'
            " name, parameters, start-date, timeline"
        ],
    ),
    (
        "unknown key in an optional nested model",
        FLEET_HEAD + "parameters:\n  sync_periods: 5m\n",
        [
            'scenario.yaml:7: parameters.sync_periods: unknown key "sync_periods",'
            ' did you mean "sync_period"?'
        ],
    ),
    (
        "unknown key in a dict of models",
        FLEET_HEAD + "groups:\n  spare:\n    name: s\n    size: 1\n    agent_version: '1.3'\n"
        "    sizes: 2\n",
        ['scenario.yaml:11: groups.spare.sizes: unknown key "sizes", did you mean "size"?'],
    ),
    (
        "missing fields at the item's line",
        FLEET_HEAD + "  - name: db\n",
        [
            "scenario.yaml:6: fleet[1].size: missing required field",
            "scenario.yaml:6: fleet[1].agent_version: missing required field",
        ],
    ),
    (
        "missing top-level field at the top",
        "name: demo\n",
        ["scenario.yaml:1: fleet: missing required field"],
    ),
    (
        "wrong type nested in a list",
        FLEET_HEAD
        + "    extensions:\n      - name: a\n      - name: [b, c]\n        version: '1.0'\n",
        [
            "scenario.yaml:8: fleet[0].extensions[1].name: input should be a valid string"
            ' (got ["b", "c"])'
        ],
    ),
    (
        "a list where a model is expected",
        FLEET_HEAD + "parameters: [sync_period]\n",
        [
            "scenario.yaml:6: parameters: input should be a valid dictionary or instance of"
            ' Parameters (got ["sync_period"])'
        ],
    ),
    (
        "a value error from a validator that already names the value",
        FLEET_HEAD + "parameters:\n  warmup: soon\n",
        [
            'scenario.yaml:7: parameters.warmup: expected a duration like "90s", "5m", "2h",'
            ' "3d" or "1w", got "soon"'
        ],
    ),
    (
        "errors are sorted by line and each gets its own",
        FLEET_HEAD
        + "  - name: db\n    size: lots\n    agent_version: 1.2\nexpect:\n  churn: high\n",
        [
            "scenario.yaml:7: fleet[1].size: input should be a valid integer, unable to parse"
            ' string as an integer (got "lots")',
            'scenario.yaml:8: fleet[1].agent_version: expected a version string like "1.35",'
            " got 1.2 (a number: quote it)",
            "scenario.yaml:10: expect.churn: input should be a valid number, unable to parse"
            ' string as a number (got "high")',
        ],
    ),
    (
        "keys that are not names are quoted in the path",
        FLEET_HEAD + "expect:\n  blocked.ops: many\n",
        [
            'scenario.yaml:7: expect["blocked.ops"]: input should be a valid number, unable to'
            ' parse string as a number (got "many")'
        ],
    ),
    (
        "union members leave no trace in the path",
        FLEET_HEAD + "timeline:\n  - install: ama\n    at: 1h\n  - remove: ama\n    at: later\n",
        [
            'scenario.yaml:10: timeline[1].at: expected a duration like "90s", "5m", "2h", "3d"'
            ' or "1w", got "later"'
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_input_gets_a_located_message(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


# --- loading: what the YAML itself can get wrong -----------------------------------------

LOAD_ERRORS: list[tuple[str, str, str]] = [
    (
        "duplicate top-level key",
        "a: 1\nb: 2\na: 3\n",
        'f.yaml:3: a: duplicate key "a" (first written on line 1)',
    ),
    (
        "unclosed flow sequence",
        "a: [1, 2\n",
        "f.yaml:2: invalid YAML: expected ',' or ']', but got '<stream end>' (column 1,"
        " while parsing a flow sequence on line 1)",
    ),
    (
        "two values on a line",
        "a: b: c\n",
        "f.yaml:1: invalid YAML: mapping values are not allowed here (column 5)",
    ),
    (
        "two documents",
        "a: b\n---\nc: d\n",
        "f.yaml:2: invalid YAML: expected a single document in the stream on line 1, but found"
        " another document (column 1)",
    ),
    (
        "a list at the top",
        "- 1\n- 2\n",
        "f.yaml:1: expected a mapping of keys at the top level, got a list",
    ),
    (
        "a scalar at the top",
        "hello\n",
        'f.yaml:1: expected a mapping of keys at the top level, got "hello"',
    ),
    ("an empty file", "", "f.yaml: empty file: expected a mapping of keys at the top level"),
    (
        "only comments",
        "# nothing\n",
        "f.yaml: empty file: expected a mapping of keys at the top level",
    ),
    (
        "a number as key",
        "1.5: x\n",
        "f.yaml:1: keys must be strings, got 1.5 (YAML reads it as 1.5: quote it)",
    ),
    (
        "a boolean as key",
        "x:\n  on: 1\n",
        "f.yaml:2: x: keys must be strings, got on (YAML reads it as true: quote it)",
    ),
    (
        "a null key",
        "~: 1\n",
        "f.yaml:1: keys must be strings, got ~ (YAML reads it as null: quote it)",
    ),
    ("a sequence as key", "? [a]\n: 1\n", "f.yaml:1: keys must be plain strings, got a sequence"),
    (
        "an impossible date",
        "start: 2024-02-30\n",
        'f.yaml:1: start: cannot read "2024-02-30": day is out of range for month',
    ),
    (
        "a python tag",
        "x: !!python/object:os.system 1\n",
        'f.yaml:1: x: cannot read "1": could not determine a constructor for the tag'
        " '!!python/object:os.system'",
    ),
    ("a set", "a: !!set {x}\n", "f.yaml:1: a: unsupported YAML tag !!set"),
    (
        "a recursive alias",
        "a: &a [1, *a]\n",
        "f.yaml:1: a[1]: an alias refers to the collection that contains it",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [case[1:] for case in LOAD_ERRORS], ids=[case[0] for case in LOAD_ERRORS]
)
def test_load_yaml_text_rejects_with_a_located_message(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_yaml_text(text, "f.yaml")
    assert str(caught.value) == message


def test_positions_of_keys_and_items() -> None:
    doc = load_yaml_text(GOOD, "scenario.yaml")
    assert doc.position_of(()) == (1, 1)
    assert doc.position_of(("fleet",)) == (2, 1)
    assert doc.position_of(("fleet", 1)) == (6, 5)
    assert doc.position_of(("fleet", 1, "agent_version")) == (8, 5)
    assert doc.line_of(("fleet", 1, "extensions", 0, "version")) == 12
    assert doc.line_of(("parameters", "sync_period")) == 14


def test_line_of_falls_back_to_the_nearest_located_ancestor() -> None:
    doc = load_yaml_text(GOOD)
    assert doc.line_of(("fleet", 1, "no_such_key", 3)) == 6
    assert doc.line_of(("nothing", "here")) == 1
    assert LocatedDocument({}).line_of(("a",)) is None


def test_located_document_raises_checks_beyond_the_schema() -> None:
    doc = load_yaml_text(GOOD, "scenario.yaml")
    error = doc.error(("fleet", 1, "size"), "shares add up to 1.2, not 1")
    assert str(error) == "scenario.yaml:7: fleet[1].size: shares add up to 1.2, not 1"


def test_anchors_aliases_and_merge_keys_are_plain_data() -> None:
    text = "base: &base {size: 1, os: linux}\ngroup:\n  <<: *base\n  size: 2\ncopy: *base\n"
    doc = load_yaml_text(text)
    assert doc.data == {
        "base": {"size": 1, "os": "linux"},
        "group": {"size": 2, "os": "linux"},
        "copy": {"size": 1, "os": "linux"},
    }
    assert doc.line_of(("group", "size")) == 4


def test_yaml_scalars_resolve_as_the_safe_loader_does() -> None:
    doc = load_yaml_text("a: 1\nb: 1.2\nc: yes\nd: ~\ne: '1.2'\nf: 1h\n")
    assert doc.data == {"a": 1, "b": 1.2, "c": True, "d": None, "e": "1.2", "f": "1h"}


# --- reading files -----------------------------------------------------------------------


def test_load_yaml_file_reads_utf8_with_or_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes("\ufeffname: café\n".encode())
    doc = load_yaml_file(path)
    assert (doc.data, doc.filename, doc.line_of(("name",))) == ({"name": "café"}, str(path), 1)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_yaml_file(path)
    assert str(caught.value) == f"{path}: no such file"


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_yaml_file(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory, not a file"


@pytest.mark.parametrize(("name", "kind", "message"), [
    ("nope.yaml", "missing", "no such file"),
    (".", "directory", "is a directory, not a file"),
    ("big.yaml", "too_large", "larger than 20 bytes: not read (a scenario or fleet file is "
                              "far smaller)"),
    ("a\x00b.yaml", "other", "cannot read: the path contains a NUL byte"),
])
def test_a_file_that_cannot_be_read_carries_why_and_the_loader_words_it(
        tmp_path: Path, name: str, kind: str, message: str) -> None:
    (tmp_path / "big.yaml").write_text("a: 1\n" * 10)
    with pytest.raises(FileError) as caught:
        read_bytes(tmp_path / name, limit=20)
    assert caught.value.kind == kind
    assert pickle.loads(pickle.dumps(caught.value)).kind == kind
    with pytest.raises(ScenarioError) as loading:
        load_yaml_file(tmp_path / name, ReadLimits(max_bytes=20))
    assert str(loading.value).endswith(f": {message}")


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: demo\nowner: José\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as caught:
        load_yaml_file(path)
    assert str(caught.value) == f"{path}:2: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_a_syntax_error_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: [1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_yaml_file(path)
    assert str(caught.value).startswith(f"{path}:2: invalid YAML: ")


# --- problems, paths and the error -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("fleet",), "fleet"),
        (("fleet", 2, "agent_version"), "fleet[2].agent_version"),
        (
            ("extensions", "Microsoft.Azure.Monitor", "version"),
            'extensions["Microsoft.Azure.Monitor"].version',
        ),
        (("start-date",), "start-date"),
        (("a b",), '["a b"]'),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem("s.yaml", 14, ("fleet", 2, "os"), "bad"), "s.yaml:14: fleet[2].os: bad"),
        (Problem("s.yaml", None, ("fleet",), "bad"), "s.yaml: fleet: bad"),
        (Problem("s.yaml", 3, (), "bad"), "s.yaml:3: bad"),
        (Problem("s.yaml", None, (), "bad"), "s.yaml: bad"),
    ],
)
def test_problem_renders_only_what_it_knows(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_scenario_error_is_an_arcsim_error_with_one_line_per_problem() -> None:
    error = ScenarioError([Problem("s.yaml", 1, ("a",), "x"), Problem("s.yaml", 2, ("b",), "y")])
    assert isinstance(error, ArcsimError)
    assert str(error) == "s.yaml:1: a: x\ns.yaml:2: b: y"
    assert error.problems[1].line == 2


def test_scenario_error_survives_pickling() -> None:
    error = ScenarioError([Problem("s.yaml", 1, ("a", 0), "x")])
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.problems, str(copy)) == (error.problems, str(error))


# --- format_pydantic_errors directly -----------------------------------------------------


def _validation_error(model: type[BaseModel], data: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return caught.value


def test_format_pydantic_errors_takes_a_filename_and_a_keys_callable() -> None:
    doc = load_yaml_text("name: demo\nfleet: []\nflet: []\n", "ignored.yaml")
    exc = _validation_error(Toy, doc.data)
    error = format_pydantic_errors(exc, doc, "given.yaml", allowed_keys=lambda path: {"fleet"})
    assert str(error) == 'given.yaml:3: flet: unknown key "flet", did you mean "fleet"?'


def test_format_pydantic_errors_without_known_keys_names_the_key_only() -> None:
    doc = load_yaml_text("name: demo\nfleet: []\nflet: []\n", "s.yaml")
    error = format_pydantic_errors(_validation_error(Toy, doc.data), doc)
    assert str(error) == 's.yaml:3: flet: unknown key "flet"'


def test_format_pydantic_errors_shortens_long_values() -> None:
    doc = load_yaml_text(f"name: demo\nfleet: {'x' * 200}\n", "s.yaml")
    error = format_pydantic_errors(_validation_error(Toy, doc.data), doc, model=Toy)
    assert str(error) == f's.yaml:2: fleet: input should be a valid list (got "{"x" * 36}...)'


def test_a_union_of_plain_types_reports_every_member() -> None:
    class Start(BaseModel):
        at: int | list[int]

    doc = load_yaml_text("at: soon\n", "s.yaml")
    error = format_pydantic_errors(_validation_error(Start, doc.data), doc)
    assert str(error).splitlines() == [
        "s.yaml:1: at: input should be a valid integer, unable to parse string as an integer"
        ' (got "soon")',
        's.yaml:1: at: input should be a valid list (got "soon")',
    ]


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ((), {"name", "fleet", "parameters", "groups", "timeline", "expect", "start-date"}),
        (("fleet", 3), {"name", "size", "agent_version", "sync_period", "download", "extensions"}),
        (("fleet", 0, "extensions", 1), {"name", "version"}),
        (("parameters",), {"sync_period", "failure_rate", "warmup"}),
        (
            ("groups", "spare"),
            {"name", "size", "agent_version", "sync_period", "download", "extensions"},
        ),
        (("timeline", 0), {"install", "remove", "at"}),
        (("expect",), set()),
        (("nothing", 1), set()),
    ],
)
def test_model_keys_walks_fields_lists_dicts_and_unions(
    path: tuple[str | int, ...], keys: set[str]
) -> None:
    assert model_keys(Toy)(path) == keys
