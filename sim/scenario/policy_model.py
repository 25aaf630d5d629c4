"""Azure Policy assignments as a scenario writes them (``policies:``, a timeline ``assign:``).

How an assignment becomes the engine's rule and actors is :mod:`sim.scenario.policies`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic import model_validator as _model_validator

from sim.engine.params import DAY
from sim.scenario.units import Duration
from sim.scenario.values import (
    ExtensionName,
    Label,
    Model,
    Name,
    Period,
    SchemaValueError,
)


class DeployModel(Model):
    """The extension a DeployIfNotExists policy deploys, per OS (R6b)."""

    windows: ExtensionName | None = None
    linux: ExtensionName | None = None

    @_model_validator(mode="before")
    @classmethod
    def _os_keys(cls, data: Any) -> Any:
        """``Windows:``/``Linux:`` keys in any letter case, as Azure writes the OS."""
        if not isinstance(data, dict):
            return data
        return {k.strip().lower() if isinstance(k, str) and k.strip().lower() in
                ("windows", "linux") else k: v for k, v in data.items()}

    @_model_validator(mode="after")
    def _some_os(self) -> DeployModel:
        if self.windows is None and self.linux is None:
            raise SchemaValueError("name the extension to deploy for windows, linux or both")
        return self


class RemediationModel(Model):
    """How often a DeployIfNotExists remediation task runs (R6b)."""

    every: Period = DAY
    first: Duration = Field(DAY, description="first round, after the assignment")


POLICY_KINDS = ("deny", "audit", "allow_only", "deploy", "definition")


class Policy(Model):
    """An Azure Policy assignment (R16, R26): exactly one of ``deny``, ``audit``,
    ``allow_only`` (deny everything not listed), ``deploy`` (DeployIfNotExists) or
    ``definition`` (a policy definition JSON file, relative to the scenario file, with
    ``parameters``; see :mod:`sim.scenario.policy_definitions`)."""

    name: Name
    deny: tuple[ExtensionName, ...] | None = None
    audit: tuple[ExtensionName, ...] | None = None
    allow_only: tuple[ExtensionName, ...] | None = None
    deploy: DeployModel | None = None
    definition: str | None = None
    parameters: dict[str, Any] | None = None
    scope: Label | None = Field(None, description="a fleet group; default the whole fleet")
    remediation: RemediationModel | None = None

    @_model_validator(mode="after")
    def _one_kind(self) -> Policy:
        kinds = [k for k in POLICY_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise SchemaValueError(f"give exactly one of {', '.join(POLICY_KINDS)}; found "
                                   f"{found}")
        if self.remediation is not None and self.deploy is None and self.definition is None:
            raise SchemaValueError("remediation applies only to a deploy or definition policy")
        if self.parameters is not None and self.definition is None:
            raise SchemaValueError("parameters apply only to a definition policy")
        return self

    @property
    def kind(self) -> str:
        """``deny``, ``audit``, ``allow_only``, ``deploy`` or ``definition``."""
        return next(k for k in POLICY_KINDS if getattr(self, k) is not None)
