"""The sentences Azure shows for an extension operation that did not succeed (R5, R10, R26,
R27, R29).

Azure's activity log carries a ``statusMessage`` for each failed operation: a JSON object
with an error ``code`` and a ``message`` meant for a person. arcsim's records hold reason codes
(``not_on_allowlist``); :func:`status_message` turns an outcome and its reason into the JSON
text Azure would show. The sentences are modelled on Azure's and the agent's own wording, not
copied from them:

* a policy deny is ``RequestDisallowedByPolicy``, "Resource '...' was disallowed by policy."
  (R26);
* a caller without the role is ``AuthorizationFailed``, "The client '...' does not have
  authorization to perform action '...' over scope '...'" (R27);
* a refusal by the machine's local controls (R10) is reported by the extension manager back
  to Azure as a failed operation: the sentence says which control refused and which
  ``azcmagent`` setting it is, since only someone on the machine can change it (R8);
* a catalog mismatch aborts the operation with nothing installed (R3); a failed upgrade whose
  restore failed leaves the extension Failed (R25).

Reason codes with no sentence of their own (a reason added later) still give a readable
message (the code with spaces), never an empty one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Final

from sim.rules.activity import AUTHORIZATION_ERROR, POLICY_ERROR, operation_name

FAILED_CODE: Final = "ExtensionOperationFailed"
"""The error code of an operation the machine refused or failed (arcsim's name for it)."""

_LOCAL = "Extension {ext} is not allowed by this machine's local agent configuration: "
_CHANGE = " Only an administrator on the machine can change this (azcmagent config)."

_SENTENCES: Final[dict[str, str]] = {
    "not_on_allowlist": _LOCAL + "an extensions allowlist is set and {ext} is not on it "
                        "(extensions.allowlist)." + _CHANGE,
    "on_blocklist": _LOCAL + "{ext} is on the extensions blocklist (extensions.blocklist)."
                    + _CHANGE,
    "allow_none": _LOCAL + "the extensions allowlist is Allow/None, which allows no "
                  "extension (extensions.allowlist)." + _CHANGE,
    "monitor_mode": _LOCAL + "the agent is in monitor mode, which allows only Microsoft's "
                    "list of monitoring and security extensions (config.mode monitor)."
                    + _CHANGE,
    "manager_disabled": "The extension manager is disabled on this machine "
                        "(extensions.enabled false): it takes no extension operation from "
                        "Azure." + _CHANGE,
    "catalog_mismatch": "The package downloaded for extension {ext} does not match its "
                        "signed catalog file. The operation was aborted and nothing was "
                        "installed.",
    "install_failure": "The {op} of extension {ext} failed on the machine.",
    "restore_failure": "The upgrade of extension {ext} failed and the last good version "
                       "could not be restored. The extension stays Failed until it is "
                       "removed and installed again.",
}
"""Reason code -> the sentence of a refused or failed operation (``{ext}``: the extension,
``{op}``: the operation)."""

ORPHANED: Final = ("The extension resource was deleted in Azure, but the extension manager "
                   "on the machine is disabled: the extension is still installed there.")
"""The message of a delete while the extension manager is disabled (R24)."""


def sentence(reason: str, extension: str = "the extension", operation: str = "operation"
             ) -> str:
    """The sentence for a refused or failed ``operation`` of ``extension`` with ``reason``."""
    template = _SENTENCES.get(reason)
    if template is None:
        return f"The {operation} of extension {extension} failed: {reason.replace('_', ' ')}."
    return template.format(ext=extension, op=operation)


@lru_cache(maxsize=4096)
def status_message(outcome: str, reason: str, operation: str, extension: str) -> str:
    """The activity log ``statusMessage`` of an event with ``outcome`` (a record's outcome
    name), ``reason``, ``operation`` (install, update, upgrade, delete) and ``extension``
    (``Publisher/Type``); "" for an outcome that carries none (started, succeeded). A refused
    role needs the caller and scope: :func:`authorization_message`."""
    if outcome == "denied" and reason == "policy_deny":
        kind = extension.split("/", 1)[-1]
        text = (f"Resource '{kind}' was disallowed by policy. Reasons: 'An Azure Policy "
                f"assignment with the Deny effect refuses extension {extension}.'")
        return _error(POLICY_ERROR, text)
    if outcome in ("blocked", "failed", "aborted"):
        return _error(FAILED_CODE, sentence(reason, extension, operation))
    if outcome == "orphaned":
        return ORPHANED
    return ""


def authorization_message(caller: str, operation: str, scope: str) -> str:
    """The ``statusMessage`` of an ``operation`` refused because ``caller``'s role does not
    permit it on ``scope`` (a resource id, R27)."""
    action = operation_name(operation)
    return _error(AUTHORIZATION_ERROR,
                  f"The client '{caller}' does not have authorization to perform action "
                  f"'{action}' over scope '{scope}' or the scope is invalid. If access was "
                  "recently granted, please refresh your credentials.")


def _error(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}})


__all__ = ["FAILED_CODE", "ORPHANED", "authorization_message", "sentence", "status_message"]
