"""A scenario's named variants: alternative plans on the same base, to be compared.

A scenario may declare ``variants:``, each a name and a mapping of ``--set`` keys to values::

    variants:
      enforce-now: {}                              # the scenario as written
      monitor-first:
        timeline[0].at: 14d                        # the lockdown two weeks later
        policies[0].audit: [Microsoft.Compute/CustomScriptExtension]

A variant is the scenario with its values set, exactly as ``--set KEY=VALUE`` would set them
(:func:`overrides_of` gives those texts); ``arcsim run --variant NAME`` runs one, ``arcsim
sweep --variants`` runs them all against the same replications. A variant may not set
``seed`` (replications of every variant share their seeds: common random numbers) nor
``variants``. :func:`variant_problems` validates every variant as its own scenario, each
problem located at the variant's key in the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from sim.scenario import library
from sim.scenario.loading import apply_overrides, parse_key, scenario_from_document
from sim.scenario.schema import Scenario
from sim.scenario.source import (
    LocatedDocument,
    Problem,
    ScenarioError,
    format_path,
    load_yaml_file,
)

Variants = Mapping[str, Mapping[str, Any]]
"""Variant name -> ``--set`` key -> value (as YAML reads it)."""

FORBIDDEN = ("seed", "variants")
"""Keys a variant may not set (their first element)."""


class VariantError(ScenarioError):
    """A variant that is not declared, or cannot be applied."""


def value_text(value: Any) -> str:
    """``value`` as the YAML text ``--set`` reads back as the same value (``14d``,
    ``'1.40'``, ``{a: 1}``, ``[x, y]``), on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, allow_unicode=True,
                          sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def overrides_of(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``KEY=VALUE`` texts of one variant's ``settings``, in order."""
    return tuple(f"{key}={value_text(value)}" for key, value in settings.items())


def declared(source: str | os.PathLike[str] | Scenario | LocatedDocument
             ) -> dict[str, dict[str, Any]]:
    """The variants ``source`` declares (a scenario file, a shipped scenario's name, a
    :class:`Scenario` or a loaded document), in order; empty if none.

    Raises:
        ScenarioError: the file cannot be read.
    """
    if isinstance(source, Scenario):
        return {k: dict(v) for k, v in source.variants.items()}
    doc = source if isinstance(source, LocatedDocument) else load_yaml_file(
        library.resolve(source))
    found = doc.data.get("variants")
    if not isinstance(found, Mapping):
        return {}
    return {str(k): dict(v) if isinstance(v, Mapping) else {} for k, v in found.items()}


def chosen(variants: Variants, names: Sequence[str] | None, where: str) -> list[str]:
    """``names`` (None: every declared variant), each checked against ``variants``.

    Raises:
        VariantError: a name that is not declared, or no variant at all (``where`` names the
            option or argument).
    """
    if not variants:
        raise VariantError([Problem(where, None, (), "the scenario declares no variants; add "
                                    "a variants: block (name: {KEY: value, ...})")])
    wanted = list(variants) if names is None else list(names)
    for name in wanted:
        if name not in variants:
            raise VariantError([Problem(where, None, (), f'no variant "{name}": the scenario '
                                        f"declares {', '.join(variants)}")])
    return wanted


def check_variants(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> None:
    """Validate every variant of the scenario file at ``path`` (with ``overrides`` applied to
    the base first).

    Raises:
        ScenarioError: each problem of :func:`variant_problems`.
    """
    doc, _ = apply_overrides(load_yaml_file(path), overrides)
    problems = variant_problems(doc)
    if problems:
        raise VariantError(problems)


def variant_problems(doc: LocatedDocument) -> list[Problem]:
    """Every problem of the variants ``doc`` declares: keys that are not ``--set`` keys or that
    set ``seed``/``variants``, and each variant's scenario validated as a whole, located at the
    variant's key (the base itself is validated elsewhere)."""
    base = LocatedDocument({k: v for k, v in doc.data.items() if k != "variants"},
                           doc.filename, doc.positions)
    problems: list[Problem] = []
    for name, settings in declared(doc).items():
        found = _key_problems(doc, name, settings)
        problems += found
        if not found:
            problems += _scenario_problems(doc, base, name, settings)
    return problems


def _key_problems(doc: LocatedDocument, name: str, settings: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for key in settings:
        at = ("variants", name, key)
        try:
            path = parse_key(str(key), f"{key}=...")
        except ScenarioError as exc:
            problems.append(doc.problem(at, exc.problems[0].message))
            continue
        if path[0] in FORBIDDEN:
            why = ("replications of every variant share their seeds (common random numbers)"
                   if path[0] == "seed" else "variants do not nest")
            problems.append(doc.problem(at, f"a variant cannot set {path[0]}: {why}"))
    return problems


def _scenario_problems(doc: LocatedDocument, base: LocatedDocument, name: str,
                       settings: Mapping[str, Any]) -> list[Problem]:
    texts = overrides_of(settings)
    keys = {text: key for text, key in zip(texts, settings, strict=True)}
    try:
        scenario_from_document(base, overrides=texts)
    except ScenarioError as exc:
        return [_relocated(doc, name, keys, p) for p in exc.problems]
    return []


def _relocated(doc: LocatedDocument, name: str, keys: Mapping[str, str],
               problem: Problem) -> Problem:
    """A problem of a variant's scenario at the variant's key that caused it (a problem at a
    line of the base, which only this variant meets, says which variant)."""
    for text, key in keys.items():
        if problem.file == f"--set {text}":
            inner = f"{format_path(problem.path)}: " if problem.path else ""
            return Problem(doc.filename, doc.line_of(("variants", name, key)),
                           ("variants", name, key), f"{inner}{problem.message}")
    return Problem(problem.file, problem.line, problem.path,
                   f"{problem.message} (in variant {name})")


__all__ = ["FORBIDDEN", "VariantError", "Variants", "check_variants", "chosen", "declared",
           "overrides_of", "value_text", "variant_problems"]
