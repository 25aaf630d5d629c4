"""The project's own documentation cannot rot: docs/rules.md has a section for every rule id,
lists only tests and modules that exist, and nothing user-facing points outside the repository.

The tests listed under each rule are generated: ``python tests/test_cli_docs.py --write``
fills each ``<!-- tests rNN -->`` block from ``grep -rn "def test_rNN_" tests/``.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from sim.rules.reference import RULE_IDS, RULES_DOC, rule_link, rules_in

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / RULES_DOC
BLOCK = re.compile(r"<!-- tests (r\d+[a-c]?) -->\n(.*?)<!-- end tests -->", re.S)
LISTED = re.compile(r"`(test_r\d+[a-c]?_\w+)`")
MODULE = re.compile(r"`((?:sim|tests|scenarios|notebooks|benchmarks)/[\w/.-]+\.(?:py|yaml|ipynb))`")


def defined_tests() -> dict[str, list[tuple[str, str]]]:
    """Rule id (lower case) -> ``(file, test name)`` of every ``test_rNN_...`` in tests/."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    pattern = re.compile(r"^\s*def (test_(r\d+[a-c]?)_\w+)\(", re.M)
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for name, rule in pattern.findall(path.read_text(encoding="utf-8")):
            found[rule].append((path.relative_to(ROOT).as_posix(), name))
    return found


def render(tests: list[tuple[str, str]]) -> str:
    """The Markdown of one rule's tests: one line per file."""
    if not tests:
        return "No test is named after this rule yet.\n"
    by_file: dict[str, list[str]] = defaultdict(list)
    for file, name in tests:
        if name not in by_file[file]:
            by_file[file].append(name)
    return "".join(f"- `{file}`: {', '.join(f'`{n}`' for n in names)}\n"
                   for file, names in by_file.items())


def write() -> None:
    """Fill every tests block of docs/rules.md from the tests there are now."""
    tests = defined_tests()
    text = RULES.read_text(encoding="utf-8")
    RULES.write_text(BLOCK.sub(lambda m: f"<!-- tests {m.group(1)} -->\n"
                               f"{render(tests.get(m.group(1), []))}<!-- end tests -->", text),
                     encoding="utf-8")


def _text() -> str:
    return RULES.read_text(encoding="utf-8")


def test_every_rule_has_its_section_and_tests_block() -> None:
    text = _text()
    for rule in RULE_IDS:
        anchor = rule_link(rule).split("#")[1]
        assert f'<a id="{anchor}"></a>\n## {rule} ' in text, rule
        assert f"<!-- tests {anchor} -->" in text, rule


def test_rules_list_only_tests_that_exist() -> None:
    defined = {name for tests in defined_tests().values() for _, name in tests}
    for rule, block in BLOCK.findall(_text()):
        listed = LISTED.findall(block)
        missing = sorted(set(listed) - defined)
        assert not missing, (f"docs/rules.md#{rule} lists tests that do not exist: {missing}; "
                             "run python tests/test_cli_docs.py --write")
        assert all(name.startswith(f"test_{rule}_") for name in listed), rule


def test_rules_tests_blocks_are_filled() -> None:
    """The blocks hold the generated lists (a reader sees the real coverage)."""
    blocks = dict(BLOCK.findall(_text()))
    assert sum(len(LISTED.findall(b)) for b in blocks.values()) > 100


def test_rules_name_only_modules_that_exist() -> None:
    missing = sorted({m for m in MODULE.findall(_text()) if not (ROOT / m).exists()})
    assert not missing, f"docs/rules.md names modules that do not exist: {missing}"


@pytest.mark.parametrize("doc", ["README.md", *sorted(
    p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))])
def test_user_docs_point_at_nothing_outside_the_repository(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/spec" not in text, doc
    for target in re.findall(r"\]\(((?!https?://|#)[^)]+)\)", text):
        path = (ROOT / doc).parent / target.split("#")[0]
        assert path.exists(), f"{doc} links to {target}, which is not in the repository"


def test_readme_leads_to_the_rules_and_metrics() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("docs/rules.md", "docs/metrics.md", "docs/catalogue.md", "docs/parameters.md"):
        assert page in readme, page


def test_report_leads_from_each_number_to_its_metric_and_rule(tmp_path: Path) -> None:
    import sim

    result = sim.run("default", scale=0.01, out=tmp_path)
    report = (result.path / "report.md").read_text(encoding="utf-8")
    table = report.split("## Headline numbers", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ")][1:]
    assert rows and all(len(row) == 5 for row in rows)
    metrics_doc = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    rules_doc = _text()
    for row in rows:
        for path in row[3].split(", "):
            assert f"`{path}" in metrics_doc, path
        named = rules_in(row[4])
        assert named, row
        for rule in named:
            assert f'<a id="{rule.lower()}"></a>' in rules_doc, rule
    assert f"{RULES_DOC}#r13" in report and "docs/metrics.md" in report


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        print(__doc__)
