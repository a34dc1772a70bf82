"""npconv's global random generator: ``manual_seed(seed)`` makes runs repeatable. Values differ from
torch's (its Mersenne-Twister streams are not reproduced); dropout, nn.init and rand/randn all draw from
``generator()``."""
import numpy as np

__all__ = ["manual_seed", "seed", "initial_seed", "generator", "get_rng_state", "set_rng_state", "Generator"]

_seed = 0
_generator = np.random.default_rng(_seed)


def manual_seed(seed):
    """Reset the global generator to ``seed`` (returns it, as torch returns its Generator)."""
    global _generator, _seed
    _seed = int(seed)
    _generator = np.random.default_rng(_seed & 0xFFFFFFFFFFFFFFFF)
    return _generator


def seed():
    """Seed the global generator from the OS entropy; returns the seed."""
    new_seed = int(np.random.SeedSequence().entropy % (1 << 63))
    manual_seed(new_seed)
    return new_seed


def initial_seed():
    return _seed


def generator():
    """The global numpy Generator that every npconv random function draws from."""
    return _generator


def get_rng_state():
    return _generator.bit_generator.state


def set_rng_state(state):
    _generator.bit_generator.state = state


class Generator:
    """torch.Generator look-alike: ``g = Generator().manual_seed(0)`` then ``randn(3, generator=g)``.
    It behaves as a numpy Generator (every attribute is forwarded to one)."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # torch's default seed for a new Generator
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self):
        self.manual_seed(int(np.random.SeedSequence().entropy % (1 << 63)))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state
        return self

    def __getattr__(self, name):
        return getattr(self.__dict__["_rng"], name)
