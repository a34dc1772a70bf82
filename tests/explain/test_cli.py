"""``npconv explain`` as a command: text on stdout, pictures written, one-line errors with status 2."""
import argparse
import functools

import pytest

from npconv.explain import cli, explain
from tests.explain.test_explain import BACKEND


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setattr(cli, "explain", functools.partial(explain, _backend=BACKEND))

    def run_command(*words):
        parser = argparse.ArgumentParser(prog="npconv explain")
        cli.add_arguments(parser)
        return cli.run(parser.parse_args(list(words)))
    return run_command


def test_text_and_pictures(run, tmp_path, capsys):
    import PIL  # noqa: F401 - PNG and GIF output need pillow
    svg, png, gif = tmp_path / "c.svg", tmp_path / "c.png", tmp_path / "c.gif"
    status = run("Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", "--input", "1,1,5,5", "--at", "1,1",
                 "--svg", str(svg), "--png", str(png), "--gif", str(gif))
    out = capsys.readouterr().out
    assert status == 0
    assert "output (1, 1, 3, 3)  i.e. torch.Size([1, 1, 3, 3])" in out
    assert "trace of output[0, 0, 1, 1]" in out and "(matches)" in out
    assert f"wrote {gif} (9 frames)" in out
    assert svg.read_text().startswith("<svg") and png.stat().st_size > 0


@pytest.mark.parametrize("words, message", [
    (["__import__('os').system('ls')", "--input", "1,1,5,5"], "expected a layer name"),
    (["Conv2d(1, 1, 3)", "--input", "1,1,2,2"], "Conv2d on input (1, 1, 2, 2)"),
    (["Conv2d(1, 1, 3)", "--input", "1,1,5,5", "--at", "9,9"], "outside the output"),
    (["Conv2d(1, 1, 3)", "--input", "1,1,5,5", "--at", "a"], "--at must be integers"),
])
def test_errors_are_one_line_with_status_2(run, capsys, words, message):
    assert run(*words) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") == 1 and captured.err.startswith("npconv explain: error: ")
