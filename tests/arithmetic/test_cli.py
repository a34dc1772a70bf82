"""``npconv summary``: built-in models, a model from a file (npconv or unmodified PyTorch, with and without
torch importable), formats, depth, terminal width and encodings, pipes, usage errors with suggestions."""
import json
import os
import subprocess
import sys
import textwrap

import pytest
import torchinfo

from npconv.arithmetic.cli import parse_input_size
from npconv.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TORCH_MODEL = textwrap.dedent('''
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.left = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
            self.right = nn.Conv2d(8, 8, 5, padding=2, bias=False)
            self.up = nn.ConvTranspose2d(16, 4, 4, stride=2, padding=1)
            self.head = nn.Linear(4, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.stem(x)), 2)
            y = torch.cat([self.left(x), self.right(x)], 1)
            return self.head(F.adaptive_avg_pool2d(self.up(y), 1).flatten(1))
''')


def run(capsys, *argv):
    status = main(["summary", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def npconv_command(*argv, env=None, prelude="", cwd=None, **options):
    """``python -m npconv ARGV`` in a fresh interpreter (``prelude`` runs first), this tree first on the path."""
    env = dict(env or {})
    environment = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    environment.update(env)
    environment["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    code = f"{prelude}\nimport sys\nfrom npconv.cli import main\nsys.exit(main({list(argv)!r}))"
    return subprocess.run([sys.executable, "-c", code], env=environment, cwd=cwd, capture_output=True, **options)


@pytest.fixture
def torch_file(tmp_path):
    (tmp_path / "model.py").write_text(TORCH_MODEL)
    return tmp_path


def test_builtin_model_as_json(capsys):
    status, out, err = run(capsys, "lenet", "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert data["total_params"] == 431080 and data["input_size"] == [[1, 1, 28, 28]]
    assert data["layers"][-1]["output_size"] == [1, 10] and data["layers"][-1]["num_params"] == 5010


def test_model_from_file_with_input_and_formats(capsys, tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text("import npconv.nn as nn\n"
                    "class Tiny(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.conv = nn.Conv2d(3, 4, 3, stride=2)\n"
                    "    def forward(self, x):\n"
                    "        return self.conv(x)\n")
    status, out, err = run(capsys, f"{path}:Tiny", "--input", "2,3,9,9")
    assert status == 0, err
    assert "├─Conv2d: 1-1" in out and "[2, 4, 4, 4]" in out and "Total params: 112" in out
    status, out, _ = run(capsys, f"{path}:Tiny", "--input", "2,3,9,9", "--format", "csv",
                         "--columns", "input_size,output_size,num_params,kernel_size")
    assert status == 0
    assert out.splitlines()[0] == "name,var_name,type,depth,kind,is_leaf,recursive,input_size,output_size,num_params," \
                                  "kernel_size"
    assert out.splitlines()[2] == "conv,conv,Conv2d,1,module,True,False,2x3x9x9,2x4x4x4,112,3x3"
    status, out, _ = run(capsys, f"{path}:Tiny", "--input", "2,3,9,9", "--dtype", "float64", "--format", "json")
    assert status == 0 and json.loads(out)["param_bytes"] == 8 * 112
    status, out, _ = run(capsys, f"{path}:Tiny", "--input", "1x3x9x9", "--format", "markdown")
    assert status == 0 and out.startswith("| Layer (type:depth-idx) |")
    status, _, err = run(capsys, f"{path}:Tiny")
    assert status == 2 and "--input" in err
    status, _, err = run(capsys, f"{path}:Tiyn", "--input", "1,3,9,9")
    assert status == 2 and "defines no 'Tiyn' (did you mean 'Tiny'?)" in err
    status, _, err = run(capsys, f"{path}:Tiny", "--input", "1,4,9,9")      # wrong channel count
    assert status == 1 and "RuntimeError" in err


def test_depth_and_row_options(capsys):
    status, out, _ = run(capsys, "resnet18", "--depth", "1", "--var-names", "--ascii")
    assert status == 0
    assert "+ Sequential (layer1): 1-5" in out and "BasicBlock" not in out and "├" not in out
    assert "Layer (type (var_name):depth-idx)" in out
    status, _, err = run(capsys, "resnet18", "--columns", "output_sise")
    assert status == 2 and "unknown column 'output_sise' (did you mean 'output_size'?)" in err


def test_unmodified_torch_file_with_torch_installed(capsys, torch_file):
    status, out, err = run(capsys, f"{torch_file / 'model.py'}:Net", "--input", "1x3x32x32", "--depth", "1",
                           "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    sys.path.insert(0, str(torch_file))
    try:
        import model as user_model
    finally:
        sys.path.remove(str(torch_file))
    theirs = torchinfo.summary(user_model.Net(), input_size=(1, 3, 32, 32), depth=1, verbose=0)
    assert data["total_params"] == theirs.total_params == 3502
    assert {layer["depth"] for layer in data["layers"]} == {0, 1}
    up = next(layer for layer in data["layers"] if layer["name"] == "up")
    assert up["mult_adds"] == 16 * 16 * 16 * 4 * 16          # input elements x C_out x kernel: npconv's rule


@pytest.mark.parametrize("hide", ["sys.modules", "shim"])
def test_unmodified_torch_file_where_torch_cannot_be_imported(torch_file, tmp_path, hide):
    """The same file, where ``import torch`` fails: it runs on npconv and prints the same table."""
    argv = ("summary", "model.py:Net", "--input", "1x3x32x32", "--depth", "1")
    with_torch = npconv_command(*argv, cwd=torch_file, text=True)
    if hide == "sys.modules":
        without = npconv_command(*argv, cwd=torch_file, text=True, prelude="import sys; sys.modules['torch'] = None")
    else:
        shim = tmp_path / "shim"
        shim.mkdir()
        (shim / "torch.py").write_text("raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
        without = npconv_command(*argv, cwd=torch_file, text=True, env={"PYTHONPATH": str(shim)},
                                 prelude="import sys; assert 'torch' not in sys.modules")
    assert with_torch.returncode == 0 and without.returncode == 0, without.stderr
    assert without.stdout == with_torch.stdout and "Total params: 3,502" in without.stdout
    assert "ConvTranspose2d: 1-4" in without.stdout and "F.max_pool2d: 1" in without.stdout


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "cp1252"}, {"LANG": "C"},
                                 {"LANG": "POSIX"}, {"LC_ALL": "C"},
                                 {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}])
def test_terminals_that_cannot_draw_box_characters_get_ascii(env):
    result = npconv_command("summary", "resnet18", "--depth", "2", env=dict(env))
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("ascii")           # nothing but ASCII
    assert "+ Sequential: 1-5" in text and "|    + BasicBlock: 2-1" in text and not result.stderr


def test_a_utf8_terminal_gets_the_box_characters():
    result = npconv_command("summary", "resnet18", "--depth", "2", env={"LANG": "en_US.UTF-8"}, text=True)
    assert "├─Sequential: 1-5" in result.stdout and "│    └─BasicBlock: 2-1" in result.stdout


def test_the_table_fits_the_terminal_width():
    result = npconv_command("summary", "resnet18", env={"COLUMNS": "60"}, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines[:-1]) <= 60 and "left out" in lines[-1]
    assert sum(": " in line for line in lines) >= 60        # every layer is still there
    piped = npconv_command("summary", "resnet18", text=True)   # not a terminal, no COLUMNS: the whole table
    assert max(len(line) for line in piped.stdout.splitlines()) > 100


def test_a_reader_that_closes_early_ends_the_command_quietly(tmp_path):
    code = f"import sys\nsys.path.insert(0, {ROOT!r})\nfrom npconv.cli import main\nsys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen([sys.executable, "-c", code, "summary", "vgg16", "--format", "csv"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()                          # as `| head -0` does, before anything is written
    _, err = process.communicate(timeout=120)
    assert process.returncode == 141 and err == b""
    shell = subprocess.run(f"'{sys.executable}' -m npconv summary vgg16 --depth 4 | head -1", shell=True,
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    assert shell.stdout.startswith("=====") and shell.stdout.count("\n") == 1 and shell.stderr == ""


def test_usage_errors_suggest_and_show_the_subcommands_usage(capsys):
    status, _, err = run(capsys, "resnt18")
    assert status == 2 and "unknown model 'resnt18' (did you mean 'resnet18'?)" in err and "built-in models" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["summary", "resnet18", "--dpeth", "2"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("usage: npconv summary") and "unrecognized arguments: --dpeth 2 (did you mean --depth?)" in err
    with pytest.raises(SystemExit):
        main(["sumary", "resnet18"])
    assert "invalid choice: 'sumary'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="integers such as 1x3x224x224"):
        parse_input_size("1,a,3")
    with pytest.raises(ValueError, match="positive"):
        parse_input_size("1,0,3")
    assert parse_input_size("1, 3, 224, 224") == parse_input_size("1x3x224x224") == (1, 3, 224, 224)


def test_help_documents_the_input_form(capsys):
    with pytest.raises(SystemExit):
        main(["summary", "--help"])
    out = capsys.readouterr().out
    assert "1x3x224x224" in out and "--depth" in out
