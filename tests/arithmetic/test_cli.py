"""``npconv summary``: built-in models, a model from a file, formats and usage errors."""
import json

import pytest

from npconv.arithmetic.cli import parse_input_size
from npconv.cli import main


def run(capsys, *argv):
    status = main(["summary", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_builtin_model_as_json(capsys):
    status, out, err = run(capsys, "lenet", "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert data["total_params"] == 431080 and data["input_size"] == [[1, 1, 28, 28]]
    assert data["layers"][-1]["output_shape"] == [1, 10]


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
    status, out, _ = run(capsys, f"{path}:Tiny", "--input", "2,3,9,9", "--format", "csv")
    assert status == 0 and out.splitlines()[2].startswith("conv,Conv2d,1,module,2x3x9x9,2x4x4x4,112")
    status, out, _ = run(capsys, f"{path}:Tiny", "--input", "2,3,9,9", "--dtype", "float64", "--format", "json")
    assert status == 0 and json.loads(out)["param_bytes"] == 8 * 112
    status, out, _ = run(capsys, f"{path}:Tiny", "--input", "1x3x9x9", "--format", "markdown")
    assert status == 0 and out.startswith("| Layer |")
    status, _, err = run(capsys, f"{path}:Tiny")
    assert status == 2 and "--input" in err
    status, _, err = run(capsys, f"{path}:Nope", "--input", "1,3,9,9")
    assert status == 2 and "Nope" in err
    status, _, err = run(capsys, f"{path}:Tiny", "--input", "1,4,9,9")      # wrong channel count
    assert status == 1 and "RuntimeError" in err


def test_usage_errors(capsys):
    status, _, err = run(capsys, "no_such_model")
    assert status == 2 and "built-in models" in err
    with pytest.raises(ValueError, match="comma-separated"):
        parse_input_size("1,a,3")
    with pytest.raises(ValueError, match="positive"):
        parse_input_size("1,0,3")
    assert parse_input_size("1, 3, 224, 224") == (1, 3, 224, 224)
