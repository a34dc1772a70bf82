"""Every Python block and shell command of README.md, run, and what it prints compared with what the README says.

How the README states what to expect, and how it is checked:

* ``expression    # 112``: a trailing comment that is a Python literal equals the expression's value;
* ``print(x)      # torch.Size([8, 20, 12, 12])``: any other trailing comment of a ``print`` is its output;
* a ```text block right after a code block is that block's whole output (a line ``...`` stands for any lines);
* a code block's remaining descriptive comments are allowed only where such an output block checks the output.

Shell blocks run in a temporary folder with this tree's ``npconv``. The README's set-up commands (a venv and
``pip install -e '.[extra]'``) are not re-run: the test checks that this environment is that set-up (the
package importable from this tree, each extra's modules importable) and runs what follows them. The test
commands are not run from inside the tests: they are checked to be exactly ``.ci/run``'s, as the README says.
"""
import ast
import contextlib
import importlib.util
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# each extra's import names, for "this environment is that set-up"
EXTRAS = {"progress": ["rich"], "test": ["pytest", "hypothesis", "torch", "torchinfo", "ptflops", "sklearn"]}
SETUP = re.compile(r"^python3 -m venv \.venv$|^\. \.venv/bin/activate$|^pip install -e '\.\[(\w+)\]'$")


def blocks():
    """(language, text, its output block or None, line number) of every python and bash fenced block."""
    fences = list(re.finditer(r"^```(\w*)\n(.*?)^```[ \t]*$", README, re.M | re.S))
    result = []
    for index, fence in enumerate(fences):
        if fence.group(1) not in ("python", "bash"):
            continue
        after = fences[index + 1] if index + 1 < len(fences) else None
        output = after.group(2) if after is not None and after.group(1) == "text" and \
            not README[fence.end():after.start()].strip() else None
        result.append((fence.group(1), fence.group(2), output, README[:fence.start()].count("\n") + 1))
    return result


PYTHON_BLOCKS = [b for b in blocks() if b[0] == "python"]
SHELL_BLOCKS = [b for b in blocks() if b[0] == "bash"]


def matches(expected, actual):
    """``actual`` lines equal ``expected`` lines, a line ``...`` matching any run of lines."""
    pattern = "\n".join(".*?" if line == "..." else re.escape(line) for line in expected.rstrip("\n").split("\n"))
    return re.fullmatch(pattern, actual.rstrip("\n"), re.S) is not None


def test_the_readme_has_the_blocks_this_test_runs():
    assert len(PYTHON_BLOCKS) >= 2 and len(SHELL_BLOCKS) >= 6
    assert [b for b in PYTHON_BLOCKS + SHELL_BLOCKS if b[2] is not None], "no output block found"


@pytest.mark.parametrize("language, text, output, line", PYTHON_BLOCKS, ids=[f"line{b[3]}" for b in PYTHON_BLOCKS])
def test_python_block(language, text, output, line, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")     # the README shows a UTF-8 terminal's table
    for name in ("LC_ALL", "LC_CTYPE"):
        monkeypatch.delenv(name, raising=False)
    namespace = {"__name__": "__readme__"}
    whole = io.StringIO()
    comments = {token.start[0]: token.string[1:].strip() for token in _comments(text)}
    for statement in ast.parse(text).body:
        source = ast.get_source_segment(text, statement)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            if isinstance(statement, ast.Expr):
                value = eval(compile(ast.Expression(statement.value), "<README>", "eval"), namespace)
            else:
                exec(compile(ast.Module([statement], []), "<README>", "exec"), namespace)
                value = None
        whole.write(printed.getvalue())
        comment = comments.get(statement.end_lineno)
        if comment is None:
            continue
        where = f"README line {line + statement.lineno}: {source}"
        try:
            expected_value = ast.literal_eval(comment)
        except (ValueError, SyntaxError):
            expected_value = comment
            if _is_print(statement):
                assert printed.getvalue() == comment + "\n", where
                continue
            assert output is not None, f"{where}: the comment {comment!r} says nothing checkable and no output block follows"
            continue
        assert value == expected_value, f"{where}: {value!r} != {expected_value!r}"
    if output is not None:
        assert matches(output, whole.getvalue()), f"README line {line}: printed\n{whole.getvalue()}"


def _comments(text):
    import tokenize
    return [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT]


def _is_print(statement):
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) and \
        getattr(statement.value.func, "id", None) == "print"


# ----- shell commands

def environment():
    """This tree's npconv first, its console script on PATH, no terminal width imposed."""
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LC_ALL", "LC_CTYPE")}
    env["LANG"] = "C.UTF-8"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["BROWSER"] = "true"            # webbrowser.open runs `true URL`: no window opens
    return env


def check_setup(command):
    """A set-up step of the README is this environment: the package from this tree, the extra's modules."""
    match = SETUP.match(command)
    assert match, f"not a set-up command: {command}"
    if match.group(1):
        import npconv
        assert Path(npconv.__file__).resolve().parent == ROOT / "npconv" or \
            importlib.util.find_spec("npconv").origin.startswith(str(ROOT))
        for module in EXTRAS[match.group(1)]:
            assert importlib.util.find_spec(module) is not None, f"{command}: {module} is not installed"


def run_shell(command, tmp_path, timeout=600):
    return subprocess.run(["bash", "-c", command], cwd=tmp_path, env=environment(), capture_output=True,
                          text=True, timeout=timeout)


def serve(command, tmp_path):
    """Start a server command, return (process, its URL); the caller stops it with Ctrl-C (SIGINT)."""
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=tmp_path, env=environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"serving (http://\S+)", line)
    assert match, f"{command}: printed {line!r}, stderr {process.stderr.read() if process.poll() is not None else ''}"
    return process, match.group(1)


def stop(process):
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    return out


def split_commands(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return [part.strip() for line in lines for part in line.split(" && ")]


SETUP_DEMO, TEST_COMMANDS, EXPLAIN, SUMMARY, EXPLORE, EXPLORE_MODEL = range(6)


def shell_block(kind):
    """The README's shell blocks, recognised by what they run (a new block must be added here)."""
    marks = {SETUP_DEMO: "npconv demo\n", TEST_COMMANDS: "pytest -m", EXPLAIN: "npconv explain",
             SUMMARY: "npconv summary", EXPLORE: "npconv explore\n", EXPLORE_MODEL: "--weights lenet.npz"}
    found = [b for b in SHELL_BLOCKS if marks[kind] in b[1] + "\n" and
             not (kind == EXPLORE and "--model" in b[1]) and not (kind == SETUP_DEMO and "--save" in b[1])]
    assert len(found) == 1, (kind, found)
    return found[0]


def test_every_shell_block_is_run_by_a_test():
    known = {id(shell_block(kind)) for kind in range(6)}
    assert {id(b) for b in SHELL_BLOCKS} == known


@pytest.mark.slow
def test_setup_and_demo(tmp_path):
    commands = split_commands(shell_block(SETUP_DEMO)[1])
    for command in commands[:-1]:
        check_setup(command)
    assert commands[-1] == "npconv demo"
    result = run_shell(commands[-1], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    accuracy = re.fullmatch(r"test accuracy: (\d+\.\d)%", lines[-1])
    assert accuracy and float(accuracy.group(1)) >= 97.0, lines[-1]        # "a line such as 98.1%"
    assert "1,438 training / 359 test images" in lines[0]                   # the split the README gives
    assert "Total params: 431,080" in result.stdout                         # "431,080 parameters"


def test_test_commands_are_exactly_ci_run():
    commands = split_commands(shell_block(TEST_COMMANDS)[1])
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    for command in commands:
        if SETUP.match(command):
            check_setup(command)
        assert command in ci or f"{command} || status=$?" in ci, f"{command} is not what .ci/run runs"
    assert commands[-2:] == ["pytest -m 'not slow'", "pytest -m slow"]


def test_apt_command_is_ci_runs_and_chromium_is_there():
    """The one shell command given in a sentence (set-up for the browser tests): .ci/run's, and done here."""
    inline = re.findall(r"`(apt-get update && [^`]*)`", README)
    assert len(inline) == 1
    commands = split_commands(inline[0])
    ci = (ROOT / ".ci" / "run").read_text()
    assert all(command in ci for command in commands)
    assert shutil.which("chromium") or shutil.which("chromium-browser"), "the README's apt-get was not run here"


def test_explain_command(tmp_path):
    text, output = shell_block(EXPLAIN)[1:3]
    result = run_shell(text.strip(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert output is not None and matches(output, result.stdout), result.stdout
    svg = tmp_path / "t.svg"
    assert svg.read_text().lstrip().startswith(("<svg", "<?xml"))


def test_summary_command(tmp_path):
    text, output = shell_block(SUMMARY)[1:3]
    result = run_shell(text.strip(), tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert output is not None and matches(output, result.stdout), result.stdout


def test_explore_command(tmp_path):
    command = shell_block(EXPLORE)[1].strip()
    process, url = serve(command, tmp_path)
    try:
        assert url == "http://127.0.0.1:8765/"
        with urllib.request.urlopen(url, timeout=30) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
    finally:
        out = stop(process)
    assert "stopped" in out


@pytest.mark.slow
def test_demo_then_explore_the_trained_lenet(tmp_path):
    first, second = split_commands(shell_block(EXPLORE_MODEL)[1])
    result = run_shell(first, tmp_path)
    assert result.returncode == 0 and (tmp_path / "lenet.npz").stat().st_size > 1_000_000, result.stderr
    process, url = serve(second, tmp_path)
    try:
        deadline = time.time() + 60
        with urllib.request.urlopen(url, timeout=60) as page:
            assert page.status == 200 and time.time() < deadline
    finally:
        stop(process)
