"""`mudar serve`: its options, one-line errors, a missing extra, and a real start and stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mudar.cli.main import build_parser, main

REPO = Path(__file__).resolve().parents[2]


def run_serve(capsys, *argv):
    code = main(["serve", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_defaults_listen_on_this_computer_only():
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.max_upload_mb) == ("127.0.0.1", 8000, 500.0)
    assert args.media is None and args.index is None and args.classifier is None
    assert not args.no_genre  # the shipped classifier, unless --no-genre


def test_the_shipped_genre_classifier_loads():
    from mudar.models.checkpoint import default_classifier_path
    from mudar.tasks.classify import load_classifier

    clf = load_classifier(default_classifier_path())
    assert sorted(clf.labels) == ["chacha", "rumba", "tango", "waltz"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "0"], "--port must be in 1..65535"),
        (["--max-upload-mb", "-1"], "--max-upload-mb must be positive"),
        (["--media", "/no/such/folder"], "/no/such/folder: no such folder"),
        (["--method", "nope", "--media", "."], "unknown dance method 'nope'"),
    ],
)
def test_bad_options_are_one_line(capsys, argv, message):
    pytest.importorskip("fastapi")
    code, out, err = run_serve(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("mudar: error: ") and message in err and err.count("\n") == 1


def test_without_the_extra_it_names_the_pip_command(capsys, monkeypatch):
    for name in ("fastapi", "uvicorn"):
        monkeypatch.setitem(sys.modules, name, None)
    code, _, err = run_serve(capsys)
    assert code == 2 and "pip install 'mudar[serve]'" in err and err.count("\n") == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_serves_and_cleans_up_when_stopped(tmp_path, bar_video):
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    media = tmp_path / "media"
    media.mkdir()
    (media / "bar.mp4").write_bytes(Path(bar_video).read_bytes())
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "TMPDIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "mudar", "serve", "--port", str(port), "--media", str(media)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = None
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info", timeout=1) as r:
                    info = json.load(r)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        assert info is not None, proc.stderr.read() if proc.poll() is not None else "no answer"
        assert [f["name"] for f in info["media"]] == ["bar.mp4"]
        assert info["genre"] is None  # the shipped genre classifier is loaded: no "no genre model"
        assert len(list(tmp_path.glob("mudar-serve-*"))) == 1  # its temporary folder
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in err and "Traceback" not in err
    assert list(tmp_path.glob("mudar-serve-*")) == []  # removed at shutdown
