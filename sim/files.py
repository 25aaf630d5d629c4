"""Every file arcsim writes appears whole or not at all; every file it reads fails with a reason.

Writing: :func:`atomic_file` (a stream), :func:`write_file` (bytes or text) and
:func:`atomic_folder` (a folder filled by a callback) write into a hidden temporary sibling,
flush it to the disk (``fsync``) and rename it into place. On any failure (a full disk, a
read-only folder, an interrupt, an exception of the caller) the temporary is removed and the
target is as it was: never a partial file, never a leftover. Two processes writing the same
target at the same time both succeed, and the target ends up as one of their writes, whole.

Reading: :func:`read_bytes` reads a file of bounded size, :func:`read_text` a UTF-8 text file
(:func:`file_problem` words what went wrong for a message); :func:`os_reason` says in a few words
why a path cannot be used (no such file, a directory, a name too long, a NUL byte ...).

This module is a leaf: it imports nothing of arcsim but :mod:`sim.errors`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

from sim.errors import ArcsimError

_PREFIX_CHARS = 60
"""Characters of the target's name kept in a temporary's name (a long name must not make the
temporary's name too long where the target's would fit)."""
_PUBLISH_TRIES = 8
"""Attempts to rename a folder into place while other processes replace the same folder."""


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
"""The process's umask when arcsim started: temporaries (created private) get the permissions
an ordinary file or folder would have."""


FileErrorKind = Literal["missing", "directory", "too_large", "other"]
"""Why a file cannot be used, for a caller that words it its own way."""


class FileError(ArcsimError):
    """A file or folder that cannot be read or written; the message names it and says why
    (:attr:`kind`: ``missing``, ``directory``, ``too_large`` or ``other``)."""

    def __init__(self, path: str | os.PathLike[str], reason: str, *, verb: str = "write",
                 kind: FileErrorKind = "other") -> None:
        self.path = os.fspath(path)
        self.reason = reason
        self.verb = verb
        self.kind: FileErrorKind = kind
        super().__init__(f"cannot {verb} {self.path}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_file_error, (self.path, self.reason, self.verb, self.kind))


def _file_error(path: str, reason: str, verb: str, kind: FileErrorKind) -> FileError:
    return FileError(path, reason, verb=verb, kind=kind)


def os_reason(exc: BaseException) -> str:
    """A short reason for an error from the operating system or a path it refuses.

    ``ValueError`` is what Python raises for a path with a NUL byte.
    """
    if isinstance(exc, ValueError):
        return "the path contains a NUL byte" if "null" in str(exc) else str(exc)
    if isinstance(exc, OSError):
        if exc.errno == errno.ENAMETOOLONG:
            return "the file name is too long"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return f"{exc.strerror or exc} (nothing was written)"
        return exc.strerror or str(exc)
    return str(exc)


# --- reading -------------------------------------------------------------------------------


def read_bytes(path: str | os.PathLike[str], *, limit: int | None = None) -> bytes:
    """The bytes of the file at ``path``.

    Raises:
        FileError: the path does not name a readable file (``cannot read PATH: why``; kind
            ``missing``, ``directory`` or ``other``), or the file holds more than ``limit``
            bytes (kind ``too_large``).
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read(-1 if limit is None else limit + 1)
    except IsADirectoryError:
        raise FileError(path, "is a directory, not a file", verb="read",
                        kind="directory") from None
    except FileNotFoundError as exc:
        raise FileError(path, os_reason(exc), verb="read", kind="missing") from None
    except (OSError, ValueError) as exc:
        raise FileError(path, os_reason(exc), verb="read") from None
    if limit is not None and len(data) > limit:
        raise FileError(path, f"larger than {limit:,} bytes", verb="read", kind="too_large")
    return data


NO_SUCH_FILE = "no such file"
"""The reason :func:`read_text` gives where nothing is at the path (or a folder on it is
missing)."""


def read_text(path: str | os.PathLike[str], *, limit: int | None = None) -> str:
    """The text of the UTF-8 file at ``path`` (a leading byte-order mark dropped), read as
    :func:`read_bytes` reads it: at most ``limit`` bytes.

    Raises:
        FileError: as :func:`read_bytes`, with the reason :data:`NO_SUCH_FILE` where nothing
            is at ``path``; or the bytes are not UTF-8 (``verb`` ``"decode"``, reason
            ``not UTF-8 text (byte N: why)``, N counted from 0).
    """
    try:
        data = read_bytes(path, limit=limit)
    except FileError as exc:
        if exc.reason == os.strerror(errno.ENOENT):  # what os_reason says of a missing file
            raise FileError(path, NO_SUCH_FILE, verb="read") from None
        raise
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(path, f"not UTF-8 text (byte {exc.start}: {exc.reason})",
                        verb="decode") from None


def file_problem(exc: FileError) -> str:
    """What is wrong with the file of a :func:`read_text` error, for a message:
    ``PATH: no such file``, ``PATH: not UTF-8 text (byte N: why)`` or ``PATH: cannot read:
    why`` (a directory, too large, no permission ...)."""
    if exc.reason == NO_SUCH_FILE or exc.verb == "decode":
        return f"{exc.path}: {exc.reason}"
    return f"{exc.path}: cannot {exc.verb}: {exc.reason}"


# --- writing a file ------------------------------------------------------------------------


def _temporary_name(target: Path, kind: str) -> str:
    return f".{target.name[:_PREFIX_CHARS]}.{kind}-"


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to the disk, where the system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _target(path: str | os.PathLike[str]) -> Path:
    """``path`` as a file to write; a path that names a folder (``.``, ``out/``) is refused."""
    if not os.fspath(path):
        raise FileError(path, "an empty file name")
    try:
        target = Path(path)
        if not target.name or target.is_dir():
            raise FileError(path, "it is a directory; give a file name")
    except (OSError, ValueError) as exc:
        raise FileError(path, os_reason(exc)) from None
    return target


@overload
def atomic_file(path: str | os.PathLike[str], mode: Literal["w"] = "w", *,
                encoding: str = "utf-8", newline: str | None = None
                ) -> contextlib.AbstractContextManager[IO[str]]: ...
@overload
def atomic_file(path: str | os.PathLike[str], mode: Literal["wb"], *,
                encoding: str = "utf-8", newline: str | None = None
                ) -> contextlib.AbstractContextManager[IO[bytes]]: ...
def atomic_file(path: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8",
                newline: str | None = None) -> contextlib.AbstractContextManager[IO[Any]]:
    """A stream (text ``"w"``, UTF-8 by default, or bytes ``"wb"``) whose content replaces the
    file at ``path`` when the ``with`` block ends without an exception.

    Raises:
        FileError: ``path`` cannot be written (a folder, a missing or read-only folder, a full
            disk, a name too long ...); nothing was changed.
    """
    return _atomic_file(_target(path), mode, encoding, newline)


@contextlib.contextmanager
def _atomic_file(target: Path, mode: str, encoding: str,
                 newline: str | None) -> Iterator[IO[Any]]:
    folder = target.parent
    try:
        fd, name = tempfile.mkstemp(prefix=_temporary_name(target, "tmp"), dir=folder)
    except (OSError, ValueError) as exc:
        raise FileError(target, os_reason(exc)) from None
    temporary = Path(name)
    try:
        text = "b" not in mode
        with open(fd, "w" if text else "wb", encoding=encoding if text else None,
                  newline=newline if text else None) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, target)
        _sync_folder(folder)
    except OSError as exc:
        raise FileError(target, os_reason(exc)) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def write_file(path: str | os.PathLike[str], content: str | bytes) -> None:
    """Replace the file at ``path`` with ``content`` (text is written as UTF-8), atomically.

    Raises:
        FileError: as :func:`atomic_file`.
    """
    if isinstance(content, bytes):
        with atomic_file(path, "wb") as binary:
            binary.write(content)
    else:
        with atomic_file(path, "w") as text:
            text.write(content)


# --- writing a folder ----------------------------------------------------------------------


def atomic_folder(final: str | os.PathLike[str], fill: Callable[[Path], None]) -> Path:
    """Call ``fill(tmp)`` on a new temporary sibling of ``final``, flush everything in it to
    the disk, then rename it to ``final``. A folder already at ``final`` is replaced (moved
    aside, then removed; put back if the rename fails). When another process puts its own
    ``final`` in place at the same time, one of the two complete folders stays.

    On any exception (or an interrupt) the temporary folder is removed and the exception
    propagates; ``final`` is then as it was.

    Raises:
        FileError: the parent folder cannot be created or written.
    """
    target = Path(final)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_temporary_name(target, "tmp"), dir=parent))
    except (OSError, ValueError) as exc:
        raise FileError(target, os_reason(exc)) from None
    try:
        os.chmod(tmp, 0o777 & ~_UMASK)
        fill(tmp)
        _sync_tree(tmp)
        _publish(tmp, target)
        _sync_folder(parent)
    except OSError as exc:
        raise FileError(target, os_reason(exc)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _sync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` to the disk."""
    for folder, _, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _sync_folder(Path(folder))


def _publish(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``, moving an existing ``final`` aside first.

    A ``final`` that another process renames in meanwhile is moved aside in turn, a few
    times; after that the other process's folder stays and ``tmp`` is dropped.
    """
    aside: list[Path] = []
    try:
        for _ in range(_PUBLISH_TRIES):
            try:
                os.rename(tmp, final)
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    _restore(aside, final)
                    raise
            old = Path(tempfile.mkdtemp(prefix=_temporary_name(final, "old"), dir=final.parent))
            try:
                os.rename(final, old)
            except FileNotFoundError:  # another process moved it aside first
                old.rmdir()
                continue
            except OSError:
                old.rmdir()
                _restore(aside, final)
                raise
            aside.append(old)
    finally:
        for old in aside:
            shutil.rmtree(old, ignore_errors=True)


def _restore(aside: list[Path], final: Path) -> None:
    """Put the last folder moved aside back at ``final`` (when nothing took its place)."""
    if aside and not final.exists():
        with contextlib.suppress(OSError):
            os.rename(aside.pop(), final)
