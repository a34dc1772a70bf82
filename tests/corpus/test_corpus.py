"""Every tutorial-style script of this folder, run by python on torch and by ``python -m npconv run`` on
npconv, must print the same (object addresses, random by design, are masked) and exit the same way."""
import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys

import pytest

import npconv

HERE = pathlib.Path(__file__).parent
SCRIPTS = sorted(path.name for path in HERE.glob("*.py") if not path.name.startswith(("test_", "__")))
ROOT = str(pathlib.Path(npconv.__file__).parent.parent)
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def run(command, cwd):
    """(exit status, stdout with addresses masked, stderr) of ``command`` (one BLAS thread: the two runs go
    side by side)."""
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
    return done.returncode, ADDRESS.sub(" at 0x…", done.stdout), done.stderr


def test_the_corpus_has_enough_scripts():
    assert len(SCRIPTS) >= 15


@pytest.mark.slow  # two interpreter starts per script (torch's import alone takes seconds)
@pytest.mark.parametrize("script", SCRIPTS)
def test_script_prints_what_torch_prints(script, tmp_path):
    path = str(HERE / script)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        under_torch = pool.submit(run, [sys.executable, path], tmp_path)
        under_npconv = pool.submit(run, [sys.executable, "-m", "npconv", "run", path], tmp_path)
        (torch_status, torch_out, torch_err), (status, out, err) = under_torch.result(), under_npconv.result()
    assert torch_status == 0, torch_err
    assert status == 0, err
    assert out == torch_out
