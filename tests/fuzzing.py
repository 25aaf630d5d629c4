"""What the fuzz tests (``tests/test_fuzz_*.py``) share: the oracle, budgets and strategies.

The oracle: every input ends in success or a located :class:`~sim.errors.ArcsimError` (exit
status 2 on the command line), never another exception, never a case that runs longer than
:data:`CASE_SECONDS`, never partial output. Budgets: each fuzz test asks for a number of
examples for CI; the loaded Hypothesis profile scales it (``--hypothesis-profile=long``, whose
``max_examples`` is 15 times Hypothesis' default, runs 15 times as many).
"""

from __future__ import annotations

import contextlib
import copy
import io
import shutil
import signal
import string
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sim.errors import ArcsimError
from sim.scenario.source import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
POLICY_FILES = sorted((ROOT / "scenarios" / "policies").glob("*.json")) + sorted(
    (ROOT / "tests" / "data" / "formats" / "azure-policy").glob("*.json"))
INVENTORY_FILES = sorted(p for p in (ROOT / "tests" / "data" / "inventory").iterdir()
                         if p.suffix in (".json", ".csv"))
CASE_SECONDS = 20.0
"""The longest one case may take (a hang is a failure). Generous: the machine may be busy; the
hangs this guards against took from 17 s to forever."""
DEFAULT_EXAMPLES = 100
"""Hypothesis' own ``max_examples``: a profile with more scales every fuzz budget up."""


def fuzz_settings(examples: int) -> settings:
    """Settings of a fuzz test that runs ``examples`` cases in CI, scaled by the loaded
    profile's ``max_examples`` (Hypothesis' default: 100)."""
    scale = max(1.0, settings.default.max_examples / DEFAULT_EXAMPLES)
    return settings(max_examples=max(1, round(examples * scale)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much,
                                           HealthCheck.function_scoped_fixture])


class CaseTimeout(BaseException):
    """A case ran longer than :data:`CASE_SECONDS` (a BaseException, so that code under test
    that catches Exception cannot hide it)."""


@contextlib.contextmanager
def time_bound(seconds: float = CASE_SECONDS) -> Iterator[None]:
    """Raise :class:`CaseTimeout` in the block if it runs longer than ``seconds``."""
    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise CaseTimeout(f"a case ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def outcome(call: Callable[[], Any]) -> str:
    """``"ok"``, or the text of the located :class:`ArcsimError` ``call`` raised. Any other
    exception, or a case past :data:`CASE_SECONDS`, propagates (the test fails)."""
    with time_bound():
        try:
            call()
        except ArcsimError as exc:
            check_located(exc)
            return str(exc)
    return "ok"


def check_located(exc: ArcsimError) -> None:
    """Assert that ``exc`` says something, with no traceback, and (a scenario error) that each
    of its problems names a file, a ``--set`` or a ``--scale``."""
    text = str(exc)
    assert text.strip(), f"an empty message from {type(exc).__name__}"
    assert "Traceback" not in text
    if isinstance(exc, ScenarioError):
        assert exc.problems and all(p.file for p in exc.problems), text


def run_cli(argv: Sequence[str]) -> tuple[int, str, str]:
    """``arcsim argv`` in this process: (exit status, stdout, stderr). Asserts the oracle: exit
    status 0, 1 or 2, and no traceback."""
    from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with time_bound(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    assert code in (0, 1, 2), (code, err.getvalue())
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders the atomic writers left in ``folder`` (none, ever)."""
    return sorted(p.name for p in folder.rglob(".*") if ".tmp-" in p.name or ".old-" in p.name)


# --- values --------------------------------------------------------------------------------

AWKWARD_TEXTS = ["", " ", "~", "null", "yes", "1.40", "5m", "-5m", "1e400", "1.0e+400",
                 "9" * 400, "0x" + "f" * 400, ".inf", ".nan", "\x00", "\x07", "\ufeff",
                 "\u2028", "💥", "*", "**************a", "a/b", "Owner", "1%/day",
                 "2262-04-11T00:00:00Z", "0001-01-01", "Microsoft.Compute/CustomScriptExtension",
                 "azcmagent config set extensions.allowlist Allow/None", "../../etc/passwd",
                 "a" * 300, "[parameters('effect')]", "{", "[", "'", '"', "&a", "*a", "!!binary"]
"""Texts that have broken parsers before, or sit on a limit."""

AWKWARD_NUMBERS: list[Any] = [0, 1, -1, 2**31, 2**63, 10**30, 10**100, 10**101, 1.5, -0.0,
                              1e-300, 1e308, float("inf"), float("-inf"), float("nan"), True]


def scalars() -> st.SearchStrategy[Any]:
    """Scalars a YAML or JSON document may hold, leaning to awkward ones."""
    return st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                     st.text(max_size=30), st.sampled_from(AWKWARD_TEXTS),
                     st.sampled_from(AWKWARD_NUMBERS))


def documents(keys: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    """Nested plain data: lists and string-keyed mappings (keys from ``keys`` or any text)."""
    key = st.one_of(st.sampled_from(list(keys) or ["x"]), st.text(max_size=12))
    return st.recursive(scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=4)), max_leaves=20)


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (keys and indices) into ``value``, the empty one first."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths_in(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths_in(child, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, base: Any, values: st.SearchStrategy[Any] | None = None) -> Any:
    """``base`` (plain data, not changed) with one to three edits at drawn places: a value
    replaced, a key removed or added, an item duplicated."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p in paths_in(data) if p]
        if not places:
            return data
        path = draw(st.sampled_from(places))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        edit = draw(st.sampled_from(["replace", "replace", "remove", "add", "duplicate"]))
        new = draw(values if values is not None else documents())
        if edit == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif edit == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = new
        elif edit == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[path[-1]] = new
    return data


def to_yaml(data: Any) -> str:
    """``data`` as YAML text (what a person could have written)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


@st.composite
def byte_mutations(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` with one to four byte-level edits: a byte flipped, bytes inserted, removed or
    repeated, the file cut."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        edit = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "cut"]))
        if edit == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif edit == "insert":
            data[at:at] = draw(st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(
                [b"\x00", b"\xff", b"\xed\xa0\x80", b"[" * 100, b"{", b"&a ", b"*a", b"\t"])))
        elif edit == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif edit == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 64))] * draw(st.integers(2, 50))
        else:
            del data[at:]
    return bytes(data)


NAME_TEXT = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12)


def copy_folder(source: Path, target: Path) -> Path:
    """A fresh copy of the folder ``source`` at ``target`` (replacing what was there)."""
    shutil.rmtree(target, ignore_errors=True)
    return Path(shutil.copytree(source, target))
