"""Damaged checkpoints (tests/fuzz/test_checkpoints.py's kinds of damage): how often npconv.load's exception
type differs from torch.load's (built-in types compared), and the most frequent pairs.

    PYTHONPATH=. python tools/checkpoint_type_report.py SEED CASES
"""
import collections
import io
import pathlib
import random
import signal
import sys
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import npconv  # noqa: E402
import torch  # noqa: E402
from tests.fuzz.test_checkpoints import _saved, damaged  # noqa: E402
warnings.simplefilter("ignore")

def builtin(e):
    return next(c for c in type(e).__mro__ if c.__module__ == "builtins").__name__

def verdict(load, data):
    signal.alarm(10)
    try:
        load(io.BytesIO(data)); return "ok"
    except Exception as e:
        return builtin(e) + (":" + type(e).__name__)
    finally:
        signal.alarm(0)

rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
counts, pairs = collections.Counter(), collections.Counter()
for case in range(int(sys.argv[2]) if len(sys.argv) > 2 else 300):
    n = rng.randint(1, 4)
    obj = {"w": torch.linspace(-1, 1, n * 3).reshape(n, 3), "i": rng.choice([torch.arange(4), torch.tensor([True, False])]), "step": rng.randint(0, 100)}
    legacy = rng.random() < 0.3
    kind = rng.choice(["flip", "truncate", "pickle flip", "version", "drop", "stray"])
    spots = [(rng.random(), rng.randint(1, 255)) for _ in range(rng.randint(1, 4))]
    detail = {"flip": spots, "pickle flip": spots, "truncate": rng.random(),
              "version": rng.choice([b"", b"99\n", b"x", b"1\n", b"3\n", b"-1\n"]),
              "drop": rng.choice(["version", "data.pkl", "data/0", "byteorder"]), "stray": b"\x80\x02}q\x00."}[kind]
    data = damaged(_saved(obj, legacy), (kind, detail), legacy)
    t, m = verdict(torch.load, data), verdict(npconv.load, data)
    same = t.split(":")[0] == m.split(":")[0]
    counts["same" if same else "differ"] += 1
    if not same:
        pairs[(kind, "legacy" if legacy else "zip", t, m)] += 1
print(dict(counts))
for k, v in pairs.most_common(25):
    print(v, k)
