"""Output folders are written whole and never replace a folder twin did not write."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin._errors import TwinError
from twin._output import write_folder


def fill_with(text: str):
    def fill(folder: Path) -> None:
        (folder / "result.txt").write_text(text)
        (folder / "meta.json").write_text("{}")

    return fill


def test_new_folder_is_created_with_its_files(tmp_path):
    out = write_folder(tmp_path / "run", fill_with("a"))
    assert out == (tmp_path / "run").resolve()
    assert (out / "result.txt").read_text() == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_previous_twin_output_is_replaced_whole(tmp_path):
    write_folder(tmp_path / "run", fill_with("a"))
    (tmp_path / "run" / "stale.txt").write_text("old")
    write_folder(tmp_path / "run", fill_with("b"))
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["meta.json", "result.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_folder_twin_did_not_write_is_never_replaced(tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.txt").write_text("keep me")
    with pytest.raises(TwinError, match="exists and is not a twin output folder"):
        write_folder(mine, fill_with("a"))
    assert (mine / "chapter1.txt").read_text() == "keep me"


def test_a_file_is_refused(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(TwinError, match="afile: is a file"):
        write_folder(target, fill_with("a"))


def test_a_failing_writer_leaves_the_previous_output_and_no_staging(tmp_path):
    write_folder(tmp_path / "run", fill_with("a"))

    def broken(folder: Path) -> None:
        (folder / "result.txt").write_text("half")
        raise RuntimeError("crash while writing")

    with pytest.raises(RuntimeError):
        write_folder(tmp_path / "run", broken)
    assert (tmp_path / "run" / "result.txt").read_text() == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_relative_dot_resolves(tmp_path, monkeypatch):
    work = tmp_path / "empty"
    work.mkdir()
    monkeypatch.chdir(work)
    out = write_folder(".", fill_with("a"))
    assert out == work.resolve() and (work / "result.txt").exists()


def test_a_failed_swap_puts_the_previous_output_back(tmp_path, monkeypatch):
    import os

    write_folder(tmp_path / "run", fill_with("a"))
    real_replace = os.replace

    def replace_failing_on_staging(src, dst):
        if ".run-staging-" in str(src):
            raise PermissionError(13, "Permission denied", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr("twin._output.os.replace", replace_failing_on_staging)
    with pytest.raises(PermissionError):
        write_folder(tmp_path / "run", fill_with("b"))
    assert (tmp_path / "run" / "result.txt").read_text() == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
