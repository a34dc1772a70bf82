"""``npconv explore`` from the shell: prints its URL, serves the page, stops on Ctrl-C (SIGINT)."""
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(*arguments):
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "npconv.cli", "explore", *arguments], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment, cwd=ROOT)


def test_explore_serves_until_interrupted():
    process = start("--port", "0", "--no-browser")
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url, timeout=30) as response:
            assert b"npconv explore" in response.read()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0 and "stopped" in out and err == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_busy_port_is_reported_with_a_way_out():
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start("--port", str(port), "--no-browser")
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and f"cannot serve on 127.0.0.1:{port}" in err and "--port 0" in err


def test_model_options_are_checked_before_serving(tmp_path):
    for arguments, message in [(("--model", "nope"), "unknown model 'nope'"),
                               (("--model", "lenet", "--weights", str(tmp_path / "no.npz")), "cannot read weights"),
                               (("--image", str(tmp_path / "missing.png")), "cannot read image"),
                               (("--model", str(tmp_path / "missing.py") + ":Net"), "no such file")]:
        process = start(*arguments, "--port", "0", "--no-browser")
        out, err = process.communicate(timeout=120)
        assert process.returncode == 2 and message in err and out == "", (arguments, err)
