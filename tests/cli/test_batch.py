"""The one batch loop of the commands that take several files: each file alone, failures skipped
and listed at the end."""

import pytest

from mudar.cli.batch import run_each
from mudar.errors import InputError


def work(path):
    if path.startswith("bad"):
        raise InputError(f"{path}: no such file")
    if path.startswith("locked"):
        raise PermissionError(13, "Permission denied")
    return {"file": path}


def test_failures_are_skipped_and_listed_at_the_end(capsys):
    shown = []

    def show(result):
        shown.append(result)
        assert capsys.readouterr().err == ""  # nothing listed before the last result

    code = run_each(["bad.mp4", "a.mp4", "b.mp4"], work, show)
    err = capsys.readouterr().err.splitlines()
    assert code == 0 and shown == [{"file": "a.mp4"}, {"file": "b.mp4"}]
    assert err == ["mudar: skipped bad.mp4: no such file", "mudar: 1 of 3 file(s) skipped"]


def test_all_failed_is_exit_status_2_and_one_file_one_line(capsys):
    assert run_each(["bad.mp4"], work, print) == 2
    assert capsys.readouterr().err == "mudar: error: bad.mp4: no such file\n"
    assert run_each(["bad1.mp4", "bad2.mp4"], work, print) == 2
    assert capsys.readouterr().err.splitlines()[-2:] == [
        "mudar: 2 of 2 file(s) skipped",
        "mudar: error: no file could be analysed",
    ]


def test_only_the_named_errors_skip_a_file(capsys):
    with pytest.raises(PermissionError):
        run_each(["locked.mp4", "a.mp4"], work, print)
    code = run_each(["locked.mp4", "a.mp4"], work, print, errors=(InputError, OSError))
    out, err = capsys.readouterr()
    assert code == 0 and "a.mp4" in out
    assert err.splitlines()[0] == "mudar: skipped locked.mp4: Permission denied"
