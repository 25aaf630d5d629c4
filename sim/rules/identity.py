"""Extension identity (spec R1, R8a).

An extension is named ``Publisher/Type``. Names compare case-insensitively with surrounding
spaces trimmed (R8a, **[param]** assumption: undocumented, the docs spell one name in several
casings); the original spelling is kept for display.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sim.errors import ArcsimError

TYPOGRAPHIC_QUOTES = "“”„‟‘’‚‛«»"
_TYPOGRAPHIC = re.compile(f"[{TYPOGRAPHIC_QUOTES}]")
_SPACE = re.compile(r"\s")


class ExtensionIdError(ArcsimError, ValueError):
    """A text that is not a valid ``Publisher/Type`` extension name."""


@dataclass(frozen=True, slots=True)
class ExtensionId:
    """An extension name; equality and hashing use the lower-cased ``publisher/type`` key."""

    publisher: str = field(compare=False)
    type: str = field(compare=False)
    key: str = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> ExtensionId:
        """Parse ``Publisher/Type``; raise :class:`ExtensionIdError` saying what is wrong."""
        name = text.strip()
        bad_quotes = sorted(set(_TYPOGRAPHIC.findall(name)))
        if bad_quotes:
            raise ExtensionIdError(
                f'"{name}" contains typographic quotes ({" ".join(bad_quotes)}), which a shell '
                'does not treat as quotes: type straight quotes (") instead'
            )
        if name.count("/") != 1:
            found = "no" if "/" not in name else str(name.count("/"))
            raise ExtensionIdError(
                f'"{name}" is not an extension name: expected Publisher/Type with exactly one "/", '
                f'found {found} "/"'
            )
        publisher, type_ = (part.strip() for part in name.split("/"))
        if not publisher or not type_:
            raise ExtensionIdError(
                f'"{name}" is not an extension name: publisher and type must both be non-empty'
            )
        if _SPACE.search(publisher) or _SPACE.search(type_):
            raise ExtensionIdError(
                f'"{name}" is not an extension name: it contains a space (separate entries '
                "with commas)"
            )
        return cls(publisher, type_, f"{publisher}/{type_}".lower())

    @property
    def name(self) -> str:
        """The name as first spelled: ``Publisher/Type``."""
        return f"{self.publisher}/{self.type}"

    @property
    def upgrade_key(self) -> str:
        """The ``Publisher.Type`` key a manual upgrade request uses (R25)."""
        return f"{self.publisher}.{self.type}"

    def __str__(self) -> str:
        return self.name


ALLOW_NONE = ExtensionId.parse("Allow/None")
"""The special allowlist value of agent 1.35+: the manager runs, nothing may be installed (R15)."""


def parse_extension_list(text: str) -> tuple[ExtensionId, ...]:
    """Parse a comma-separated list; empty entries (``a,,b`` or a trailing comma) are skipped.

    Duplicates (case-insensitive) are kept once, in first-seen order.
    Raises :class:`ExtensionIdError` naming the first bad entry.
    """
    seen: dict[ExtensionId, None] = {}
    for entry in text.split(","):
        if entry.strip():
            seen.setdefault(ExtensionId.parse(entry), None)
    return tuple(seen)
