"""Figures and one-page reports (issue 6): every shipped scenario gets every figure without a
warning; report.html is valid and refers to nothing outside itself; the same run gives the
same bytes; a failed report leaves no result folder; ``arcsim report`` regenerates, and says
plainly when a folder is not a result folder."""

from __future__ import annotations

import base64
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import Arcsim

import sim
from sim.report import figures, writer
from sim.report.content import headline_table, override_actions_text
from sim.report.figures import FIGURES, draw
from sim.report.view import RunView
from sim.rules.lint import lint
from sim.scenario import library

SCENARIOS = library.scenario_files(Path(__file__).parent.parent / "scenarios")
SMALL = 0.05
"""Scale of the shipped scenarios here: tens of machines, well under a second each."""
PNG = b"\x89PNG\r\n\x1a\n"

QUIET = """
name: quiet
description: |
  What happens when nothing happens?
  Ten machines, no lockdown, no timeline.
duration: 2d
seed: 1
fleet:
  - group: idle
    count: 10
    agent_version: "1.45"
"""


def test_scenarios_are_discovered() -> None:
    assert len(SCENARIOS) >= 4


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_figure_of_every_scenario_without_a_warning(path: Path, tmp_path: Path) -> None:
    result = sim.run(path, scale=SMALL, out=tmp_path, report=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        writer.write_report(result)
    for spec in FIGURES:
        assert (result.path / spec.file).read_bytes().startswith(PNG), spec.name
    assert (result.path / "report.md").is_file() and (result.path / "report.html").is_file()


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("storm")
    return sim.run("reinstall-storm-private-endpoint", scale=0.1, out=out)


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("quiet")
    (folder / "quiet.yaml").write_text(QUIET)
    return sim.run(folder / "quiet.yaml", out=folder / "results")


def test_a_run_writes_its_figures_and_report(storm: Any) -> None:
    names = sorted(p.name for p in (storm.path / "figures").iterdir())
    assert names == sorted(f"{spec.name}.png" for spec in FIGURES)
    markdown = (storm.path / "report.md").read_text()
    assert markdown.startswith("# reinstall-storm-private-endpoint: run report")
    for spec in FIGURES:
        assert f"]({spec.file})" in markdown


def test_report_states_question_numbers_expectations_lint_and_params(storm: Any) -> None:
    markdown = (storm.path / "report.md").read_text()
    assert "**A mass local clean-up that leaves Azure untouched" in markdown
    assert f"| Reinstall churn | {storm.metrics['churn']['cycles']:,} |" in markdown
    for e in storm.expectations:
        assert f"| {e.path} | {e.expected} |" in markdown
    locked = next(g for g in RunView.of(storm).scenario.fleet if g.commands)
    findings = lint(list(locked.commands), agent_version=locked.agent_version)
    assert findings and all(f.message in markdown for f in findings)
    assert "| paths | direct: unlimited; pe-weu: 2 at a time, 5 MB/s each" in markdown
    assert "The scenario sets paths;" in markdown


def test_nothing_happened_figures_say_so_without_a_warning(quiet: Any) -> None:
    view = RunView.of(quiet)
    for spec in FIGURES:
        if spec.name == "provisioning-states":
            continue  # the quiet fleet has no extension: the one that says so is below
        fig = draw(spec, view)
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert len(fig.axes) == 1 and not fig.axes[0].axison, spec.name
        assert texts and texts[0].startswith(("No", "Nothing")), (spec.name, texts)
    fig = draw(figures.FIGURES[-1], view)
    assert [t.get_text() for t in fig.axes[0].texts] == [
        "No extension resource existed during this run."]


def test_r7_report_opens_with_what_was_blocked_beside_what_got_in(tmp_path: Path) -> None:
    result = sim.run("script-and-guest-config-tamper", scale=0.1, out=tmp_path)
    markdown = (result.path / "report.md").read_text()
    sections = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert sections[0] == "## What was blocked, what got in"
    opening = markdown.split("\n## ")[1]
    assert "### What was blocked" in opening and "### What got in" in opening
    exposure = result.metrics["exposure"]
    assert exposure["total"] > 0 and exposure["through_lockdown"] > 0
    assert f"| Script-capable operations that succeeded | {exposure['total']:,} |" in opening
    assert f"{exposure['through_lockdown']:,} through a lockdown that let them in" in opening
    assert "script-runner (Owner)" in opening  # who could use the paths left open (R27)
    assert "](figures/exposure-over-time.png)" in opening
    assert markdown.count("](figures/exposure-over-time.png)") == 1  # not again under Figures
    html = (result.path / "report.html").read_text()
    assert html.index('<div class="side">') < html.index("<h2>Headline numbers</h2>")


class _Page(HTMLParser):
    """Collects tags, attributes and nesting problems of an HTML page."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.style = ""
        self.decl = ""

    def handle_decl(self, decl: str) -> None:
        self.decl = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unexpected </{tag}>")

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            self.style += data


def test_report_html_is_valid_and_self_contained(storm: Any) -> None:
    text = (storm.path / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    assert page.decl.lower() == "doctype html"
    assert page.problems == [] and page.stack == []
    names = [tag for tag, _ in page.tags]
    assert names.count("html") == names.count("head") == names.count("title") == 1
    assert not {"script", "link", "iframe", "object", "embed"} & set(names)
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == len(FIGURES)
    for attrs in images:
        assert attrs["src"].startswith("data:image/png;base64,") and attrs["alt"]
        assert base64.b64decode(attrs["src"].split(",", 1)[1]).startswith(PNG)
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert name != "href" and "http:" not in value and "https:" not in value, tag
    assert "url(" not in page.style and "@import" not in page.style
    assert "http://" not in text and "https://" not in text


def test_same_run_same_figures_and_report(tmp_path: Path) -> None:
    first = sim.run("policy-deny-override", scale=0.1, out=tmp_path / "a")
    second = sim.run("policy-deny-override", scale=0.1, out=tmp_path / "b")
    for name in [spec.file for spec in FIGURES] + ["report.md", "report.html"]:
        assert (first.path / name).read_bytes() == (second.path / name).read_bytes(), name


def test_report_false_writes_no_figures(tmp_path: Path) -> None:
    result = sim.run("policy-deny-override", scale=0.05, out=tmp_path, report=False)
    assert not (result.path / "figures").exists()
    assert not (result.path / "report.html").exists()


def test_a_failed_report_leaves_no_result_folder(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(view: RunView, folder: Path) -> dict[str, bytes]:
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(writer, "write_figures", broken)
    with pytest.raises(RuntimeError, match="drawing failed"):
        sim.run("policy-deny-override", scale=0.05, out=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cli_run_no_report_then_arcsim_report_draws_it(tmp_path: Path, arcsim: Arcsim) -> None:
    status, out, _ = arcsim("run", "policy-deny-override", "--scale", "0.05", "--out", tmp_path,
                            "--quiet", "--no-report")
    folder = Path(out.strip())
    assert status == 0 and not (folder / "report.html").exists()
    done = arcsim("report", folder)
    assert done.status == 0
    assert done.out.strip() == str(folder / "report.html")
    assert (folder / "report.md").is_file()
    assert sorted(p.name for p in (folder / "figures").iterdir()) == sorted(
        f"{spec.name}.png" for spec in FIGURES)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left


def test_arcsim_report_on_a_folder_that_is_not_a_result(tmp_path: Path, arcsim: Arcsim) -> None:
    status, _, err = arcsim("report", tmp_path)
    assert status == 2
    assert err == f"arcsim: error: {tmp_path}: not a result folder (no manifest.json in it)\n"
    done = arcsim("report", tmp_path / "missing")
    assert done.status == 2
    assert "not a result folder (no such folder)" in done.err


def test_arcsim_report_on_a_damaged_manifest(storm: Any, tmp_path: Path, arcsim: Arcsim) -> None:
    import json
    import shutil

    folder = Path(shutil.copytree(storm.path, tmp_path / "copy"))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["scenario"]["duration"] = "soon"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    status, _, err = arcsim("report", folder)
    assert status == 2
    assert err.startswith(f"arcsim: error: {folder}: not a complete arcsim result: "
                          "manifest.json: scenario.duration: ")
    assert "Traceback" not in err


def test_r16_r17_the_headline_names_the_override_actions_by_kind() -> None:
    overrides = {"total": 5, "by_actor": {"owner": 5}, "actions": 3, "policy_actions": 1,
                 "local_actions": 2}
    rows = {row[0]: row for row in headline_table({"overrides": overrides}).rows}
    assert rows["Overrides"][2] == ("operations let through by 3 override actions (1 in Azure "
                                    "Policy, 2 local configuration changes); by who lifted the "
                                    "protection: owner 5")
    older = {"total": 5, "by_actor": {"owner": 5}, "actions": 1}  # before the kinds were apart
    assert override_actions_text(older) == "1 override action in Azure Policy"
