"""Damaged checkpoints (tests/fuzz/test_checkpoints.py's kinds of damage): how often npconv.load's exception
type differs from torch.load's (built-in types compared), and the most frequent pairs; then, among the
refusals of the same type, how often the first line of the message differs, and the most frequent texts.

    PYTHONPATH=. python tools/checkpoint_type_report.py SEED CASES
"""
import collections
import io
import pathlib
import random
import re
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
    """("ok" or "builtin:type", first line of the message)."""
    signal.alarm(10)
    try:
        load(io.BytesIO(data)); return "ok", ""
    except Exception as e:
        return builtin(e) + (":" + type(e).__name__), (str(e).splitlines() or [""])[0]
    finally:
        signal.alarm(0)


def shown(text):
    """A message's first line, numbers and quoted bytes blurred so that messages of one kind count together."""
    return re.sub(r"\d+", "N", text)[:90]

rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
counts, pairs, texts = collections.Counter(), collections.Counter(), collections.Counter()
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
    (t, t_text), (m, m_text) = verdict(torch.load, data), verdict(npconv.load, data)
    same = t.split(":")[0] == m.split(":")[0]
    counts["same" if same else "differ"] += 1
    if not same:
        pairs[(kind, "legacy" if legacy else "zip", t, m)] += 1
    elif t != "ok":
        counts["same text" if t_text == m_text else "other text"] += 1
        if t_text != m_text:
            texts[(shown(t_text), shown(m_text))] += 1
print(dict(counts))
for k, v in pairs.most_common(25):
    print(v, k)
print("texts (torch, npconv):")
for k, v in texts.most_common(15):
    print(v, k)
