"""Writing an output folder whole: staged beside its target, then swapped in.

A reader of ``out`` always finds a complete folder (the previous run or the new one), never
a half-written one, and a folder that twin did not write is never replaced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from twin._errors import TwinError

__all__ = ["MARKER", "check_target", "write_folder"]

MARKER = "meta.json"
"""The file every twin output folder holds; only folders with it may be replaced."""


def check_target(out: str | os.PathLike) -> None:
    """Raise :class:`TwinError` if ``out`` is a file or a non-empty folder twin did not write."""
    out = Path(out).resolve()
    if out.is_file():
        raise TwinError(f"{out}: is a file; --out needs a folder name")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise TwinError(f"{out}: exists and is not a twin output folder; choose a new --out or empty it first")


def write_folder(out: str | os.PathLike, fill: Callable[[Path], None]) -> Path:
    """Let ``fill`` write into a fresh staging folder, then put it in place of ``out``.

    Parameters
    ----------
    out
        The folder to create or replace. An existing folder is replaced only if it is empty
        or was written by twin (it holds ``meta.json``).
    fill
        Writes the files into the folder it is given; it must write ``meta.json``.

    Returns
    -------
    Path
        ``out``, resolved to an absolute path.

    Raises
    ------
    TwinError
        If ``out`` is a file, a folder twin did not write, or cannot be written.
    """
    out = Path(out).resolve()
    check_target(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-staging-", dir=out.parent))
    except OSError as error:
        raise TwinError(f"{out}: cannot write here ({error.strerror}); choose another --out") from None
    previous = out.with_name(f".{out.name}-previous")
    try:
        fill(staging)
        if out.exists():
            shutil.rmtree(previous, ignore_errors=True)
            os.replace(out, previous)
        try:
            os.replace(staging, out)
        except OSError:
            if previous.exists() and not out.exists():
                os.replace(previous, out)  # put the old run back rather than lose it
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(previous, ignore_errors=True)
    return out
