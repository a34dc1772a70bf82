"""``npconv run`` / ``python -m npconv run`` and ``torch_resolves_to_npconv``: an unmodified torch script runs
on npconv as ``python script.py`` runs it on torch (output, argv, __name__, exit status, traceback)."""
import os
import subprocess
import sys
import textwrap

import pytest

import npconv
from npconv.run import npconv_name_of, run_script, torch_resolves_to_npconv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(npconv.__file__)))


def python(*args, cwd=None):
    """Run the venv's python with npconv's tree importable; (exit status, stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    return done.returncode, done.stdout, done.stderr


def under_torch_and_npconv(script, *args, tmp_path):
    """The (status, stdout, stderr) of ``script`` run by python on torch and by ``python -m npconv run``."""
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    return python(str(path), *args), python("-m", "npconv", "run", str(path), *args)


SCRIPT = """
    import sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    import torch.backends.cudnn as cudnn
    from torch import optim

    cudnn.benchmark = True
    print(__name__, sys.argv[1:], torch.cuda.is_available())
    x = torch.arange(12.0).reshape(3, 4)
    print(F.relu(x - 5))
    layer = nn.Linear(4, 2)
    print(sum(p.numel() for p in layer.parameters()), layer)
    loader = DataLoader(TensorDataset(x, torch.arange(3)), batch_size=2)
    print([tuple(b[0].shape) for b in loader], len(loader))
    if "--fail" in sys.argv:
        def inner():
            return x.view(5)
        inner()
    if "--exit" in sys.argv:
        sys.exit(int(sys.argv[-1]))
"""


@pytest.mark.parametrize("args", [(), ("a", "--b", "-h"), ("--fail",), ("--exit", "3"), ("--exit", "0")])
def test_script_runs_as_under_torch(args, tmp_path):
    (torch_status, torch_out, torch_err), (status, out, err) = under_torch_and_npconv(SCRIPT, *args,
                                                                                        tmp_path=tmp_path)
    assert (status, out) == (torch_status, torch_out)
    if "--fail" in args:
        assert status == 1
        # the same traceback: the script's frames, then torch's exception type and text
        assert err.splitlines()[:6] == torch_err.splitlines()[:6]
        assert err.splitlines()[-1] == torch_err.splitlines()[-1]
    else:
        assert err == torch_err == ""


def test_the_console_entry_runs_scripts(tmp_path):
    path = tmp_path / "hello.py"
    path.write_text("import torch\nimport sys\nprint(torch.zeros(2), sys.argv)\n")
    status, out, err = python("-c", "import sys; from npconv.cli import main; sys.exit(main())", "run", str(path),
                              "x")
    assert (status, err) == (0, "")
    assert out == f"tensor([0., 0.]) [{str(path)!r}, 'x']\n"


def test_script_directory_comes_first_on_the_path(tmp_path):
    (tmp_path / "helper_module.py").write_text("import torch.nn as nn\nLAYER = nn.ReLU()\n")
    script = tmp_path / "main.py"
    script.write_text("import helper_module\nprint(helper_module.LAYER)\n")
    assert python("-m", "npconv", "run", str(script), cwd="/") == (0, "ReLU()\n", "")


def test_missing_script_exits_2(tmp_path):
    status, out, err = python("-m", "npconv", "run", str(tmp_path / "absent.py"))
    assert status == 2 and out == ""
    assert f"can't open file '{tmp_path / 'absent.py'}': [Errno 2] No such file or directory" in err


def test_a_module_npconv_lacks_names_itself(tmp_path):
    status, _, err = under_torch_and_npconv("import torch.utils.tensorboard\n", tmp_path=tmp_path)[1]
    assert status == 1
    assert err.splitlines()[-1] == ("ModuleNotFoundError: No module named 'torch.utils.tensorboard' (npconv run: "
                                    "torch.utils.tensorboard would be npconv.utils.tensorboard, which npconv does not "
                                    "have)")


@pytest.mark.parametrize("module, words", [("torch.distributions", "probability distributions are outside"),
                                           ("torch.onnx", "ONNX exporters are outside"),
                                           ("torch.signal", "torch.signal is not implemented in npconv yet")])
def test_a_torch_submodule_npconv_lacks_is_named_as_a_feature(module, words, tmp_path):
    status, _, err = under_torch_and_npconv(f"import {module}\n", tmp_path=tmp_path)[1]
    assert status == 1
    last = err.splitlines()[-1]
    assert last.startswith("npconv._torch_api.TorchFeatureNotImplemented: ") and words in last


@pytest.mark.parametrize("name, expected", [("torch", "npconv"), ("torch.nn.functional", "npconv.nn.functional"),
                                            ("torchvision", "npconv.vision"),
                                            ("torchvision.transforms", "npconv.vision.transforms"),
                                            ("torchaudio", None), ("torch_geometric", None), ("numpy", None)])
def test_npconv_name_of(name, expected):
    assert npconv_name_of(name) == expected


def test_resolution_is_active_only_inside_and_restores_torch():
    import torch as real_torch
    import torch.nn as real_nn
    with torch_resolves_to_npconv():
        import torch
        import torch.nn as nn
        import torch.utils.data
        from torch.backends import cudnn
        from torch.nn import functional
        assert torch is npconv and nn is npconv.nn and functional is npconv.nn.functional
        assert torch.utils.data is npconv.utils.data and cudnn is npconv.backends.cudnn
        assert sys.modules["torch.backends.cudnn"] is npconv.backends.cudnn
    import torch
    import torch.nn
    assert torch is real_torch and torch.nn is real_nn and sys.modules["torch"] is real_torch


def test_run_script_in_process(tmp_path, capsys):
    path = tmp_path / "inline.py"
    path.write_text("import sys, torch\nprint(__name__, sys.argv, type(torch.ones(1)).__module__)\nraise KeyError(7)\n")
    saved_argv = list(sys.argv)
    assert run_script(str(path), ["z"]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"__main__ {[str(path), 'z']} npconv._tensor\n"
    assert captured.err == (f'Traceback (most recent call last):\n  File "{path}", line 3, in <module>\n'
                            f"    raise KeyError(7)\nKeyError: 7\n")
    assert sys.argv == saved_argv


def test_the_script_sees_its_absolute_path_as_python_gives_it(tmp_path):
    (tmp_path / "script.py").write_text("import os\nprint(os.path.isabs(__file__), os.path.basename(__file__))\n")
    under_torch = python("script.py", cwd=tmp_path)   # a relative path, as users type it
    under_npconv = python("-m", "npconv", "run", "script.py", cwd=tmp_path)
    assert under_npconv[1] == under_torch[1] == "True script.py\n"
