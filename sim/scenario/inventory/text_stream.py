"""Export text read a chunk at a time: JSON values one by one, CSV lines, located errors.

A :class:`TextStream` keeps a window of the text (about a megabyte) and drops what has been
read, so reading a file of any size takes memory for one resource, not for the file. JSON values
are decoded by the standard library's C scanner (``raw_decode``), one array element at a time
(:meth:`TextStream.elements`); a value cut by the end of the window is decoded again once more
text is in. Errors carry the line and column of the whole file, as ``json.loads`` would give.
A value longer than :data:`MAX_VALUE_CHARS`, nested deeper or holding longer numbers than
:data:`~sim.scenario.limits.LIMITS` allow is an error at its start.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sim.files import os_reason
from sim.scenario.inventory.located import InventoryError
from sim.scenario.limits import LIMITS, json_problem, value_problem

CHUNK = 1 << 20
"""Bytes (or characters) read at a time."""
_LOOKAHEAD = 16
"""A value ending this close to the window's end may go on (a number, ``true``): read more."""


def _bounded_int(digits: str) -> int:
    """A JSON integer (the decoder's ``parse_int``: the scanner gives its text).

    Raises:
        ValueError: more digits than :data:`~sim.scenario.limits.LIMITS` allow (the message
            names digits, as :func:`~sim.scenario.limits.json_problem` reads it).
    """
    if len(digits) - digits.startswith("-") > LIMITS.max_digits:
        raise ValueError(f"a number of more than {LIMITS.max_digits} digits")
    return int(digits)


_DECODER = json.JSONDecoder(parse_int=_bounded_int)
"""Checks each integer's length as it decodes it (cheaper than searching the text for runs
of digits, which fill ids and times)."""
_NON_SPACE = re.compile(r"[^ \t\n\r]")
MAX_VALUE_CHARS = 64 << 20
"""The longest JSON value read at once (64 Mi characters): one resource, or a whole file that is
not an array (the largest real resources have a few kilobytes)."""
_BETWEEN = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
"""What separates two array elements, or ends the array, with the white space after it."""


def file_chunks(file: str) -> Iterator[str]:
    """The text of ``file`` (UTF-8, an optional byte-order mark) in chunks of :data:`CHUNK`
    bytes. The file is opened now; it is read as the chunks are taken.

    Raises:
        InventoryError: the file cannot be opened or read (a missing file, a directory, a NUL
            byte in the path ...), or is not UTF-8 (with the line).
    """
    try:
        stream = open(file, "rb")  # noqa: SIM115 (closed by the generator)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise InventoryError(f"cannot read: {os_reason(exc)}", file=file) from None
    return _decoded(file, stream)


def _decoded(file: str, stream: Any) -> Iterator[str]:
    decoder, lines = codecs.getincrementaldecoder("utf-8-sig")(), 0
    with stream:
        while True:
            try:
                raw = stream.read(CHUNK)
                text = decoder.decode(raw, final=not raw)
            except OSError as exc:
                raise InventoryError(f"cannot read: {os_reason(exc)}", file=file) from None
            except UnicodeDecodeError as exc:
                line = lines + exc.object[:exc.start].count(b"\n") + 1
                raise InventoryError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})",
                                     file=file, line=line) from None
            lines += text.count("\n")
            if text:
                yield text
            if not raw:
                return


def text_chunks(text: str) -> Iterator[str]:
    """``text`` (a leading byte-order mark dropped) in chunks of :data:`CHUNK` characters."""
    text = text.removeprefix("\ufeff")
    return (text[i:i + CHUNK] for i in range(0, len(text), CHUNK))


class TextStream:
    """A window onto text given in chunks, with a read position (:attr:`pos`)."""

    def __init__(self, file: str, chunks: Iterable[str]) -> None:
        self.file = file
        self.text = ""
        """The window: the text from the first character not yet dropped."""
        self.pos = 0
        """The read position in :attr:`text`."""
        self._chunks = iter(chunks)
        self._at_end = False
        self._refills = 0
        """How many times text was added to the window."""
        self._offset = 0
        """Characters dropped before the window."""
        self._lines = 0
        """Line breaks dropped before the window."""
        self._line_start = 0
        """Where the line holding the window's first character starts (in all the text)."""

    def _more(self) -> bool:
        """Drop what was read and add at least as much text as is left unread (so that a long
        value is read in a few passes); False when there is no more text."""
        if self._at_end:
            return False
        self._drop_read()
        wanted, added = max(CHUNK, len(self.text)), []
        while wanted > 0:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._at_end = True
                break
            added.append(chunk)
            wanted -= len(chunk)
        self.text += "".join(added)
        self._refills += 1
        return bool(added)

    def _drop_read(self) -> None:
        read, self.text, self.pos = self.text[:self.pos], self.text[self.pos:], 0
        breaks = read.count("\n")
        if breaks:
            self._lines += breaks
            self._line_start = self._offset + read.rfind("\n") + 1
        self._offset += len(read)

    def line(self) -> int:
        """The line (from 1) of the read position."""
        return self._lines + self.text.count("\n", 0, self.pos) + 1

    def error(self, message: str, pos: int | None = None) -> InventoryError:
        """An :class:`InventoryError` at ``pos`` (default: :attr:`pos`) with its line and
        column."""
        pos = self.pos if pos is None else pos
        breaks = self.text.count("\n", 0, pos)
        column = (pos - self.text.rfind("\n", 0, pos) if breaks
                  else self._offset + pos - self._line_start + 1)
        return InventoryError(message, file=self.file, line=self._lines + breaks + 1,
                              column=column)

    def peek(self) -> str:
        """The next character that is not white space (moving past the white space); "" at
        the end of the text."""
        while True:
            found = _NON_SPACE.search(self.text, self.pos)
            if found:
                self.pos = found.start()
                return self.text[self.pos]
            self.pos = len(self.text)
            if not self._more():
                return ""

    def expect(self, char: str, message: str) -> None:
        """Move past ``char`` (after white space).

        Raises:
            InventoryError: the next character is another: ``invalid JSON: <message>``.
        """
        if self.peek() != char:
            raise self.error(f"invalid JSON: {message}")
        self.pos += 1

    def value(self) -> Any:
        """The JSON value at the read position (after white space), moving past it.

        Raises:
            InventoryError: malformed JSON (line and column as ``json.loads`` gives them).
        """
        if self.pos >= len(self.text) or self.text[self.pos] in " \t\n\r":
            self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith("Unterminated string") or (
                    exc.pos + _LOOKAHEAD >= len(self.text))
                if cut and len(self.text) - self.pos > MAX_VALUE_CHARS:
                    raise self.error(f"a JSON value longer than {MAX_VALUE_CHARS:,} "
                                     "characters: not read") from None
                if cut and self._more():
                    continue
                raise self.error(f"invalid JSON: {exc.msg}", exc.pos) from None
            except (ValueError, RecursionError) as exc:
                raise self.error(json_problem(exc)) from None
            if end + _LOOKAHEAD >= len(self.text) and self._more():
                continue
            self._check_limits(value, end)
            self.pos = end
            return value

    def _check_limits(self, value: Any, end: int) -> None:
        """Raise if ``value`` (read up to ``end``) is nested deeper than the limits allow;
        walked only when its text has more brackets than that (the decoder checks the
        length of numbers)."""
        brackets = self.text.count("[", self.pos, end) + self.text.count("{", self.pos, end)
        if brackets > LIMITS.max_depth:
            problem = value_problem(value)
            if problem is not None:
                raise self.error(problem)

    def elements(self, *, batched: bool = True) -> Iterator[Any]:
        """The elements of the JSON array at the read position, decoded a window at a time:
        the elements within one window of text are all decoded before the first of them is
        given, so that malformed JSON there (in a small file: anywhere in the array) is
        reported before what the elements hold. ``batched=False`` gives each element as soon
        as it is decoded (faster where each is used at once: it is still in the cache).

        Raises:
            InventoryError: malformed JSON.
        """
        self.expect("[", "Expecting value")
        if self.peek() == "]":
            self.pos += 1
            return
        batch: list[Any] = []
        while True:
            refills = self._refills
            batch.append(self.value())
            between = _BETWEEN.match(self.text, self.pos)  # the usual case, in one step
            if between and between.end() < len(self.text):
                self.pos, closed = between.end(), between.group(1) == "]"
            else:
                closed = self.peek() == "]"
                self.pos += closed
                if not closed:
                    self.expect(",", "Expecting ',' delimiter")
            if closed or refills != self._refills or not batched:
                yield from batch
                batch.clear()
            if closed:
                return

    def members(self, streamed: frozenset[str], *,
                batched: bool = True) -> Iterator[tuple[str, Any]]:
        """``(key, value)`` of the JSON object at the read position; the value of a key in
        ``streamed`` that holds an array is given as :meth:`elements` (``batched`` as there;
        to be read before the next member is taken), any other value decoded.

        Raises:
            InventoryError: malformed JSON.
        """
        self.expect("{", "Expecting value")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                raise self.error("invalid JSON: Expecting property name enclosed in double "
                                 "quotes")
            key = self.value()
            self.expect(":", "Expecting ':' delimiter")
            if key in streamed and self.peek() == "[":
                yield key, self.elements(batched=batched)
            else:
                yield key, self.value()
            if self.peek() == "}":
                self.pos += 1
                return
            self.expect(",", "Expecting ',' delimiter")

    def expect_end(self) -> None:
        """Check that only white space is left.

        Raises:
            InventoryError: ``invalid JSON: Extra data``.
        """
        if self.peek():
            raise self.error("invalid JSON: Extra data")

    def lines(self) -> Iterator[str]:
        """The rest of the text line by line (each with its ``\\n``), for a CSV reader."""
        while True:
            end = self.text.find("\n", self.pos)
            if end >= 0:
                line, self.pos = self.text[self.pos:end + 1], end + 1
                yield line
            elif not self._more():
                if self.pos < len(self.text):
                    line, self.pos = self.text[self.pos:], len(self.text)
                    yield line
                return
