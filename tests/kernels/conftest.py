"""Fixtures of the kernel tests."""
import pytest

from npconv.kernels import threads


@pytest.fixture
def restore_threads():
    """npconv's thread setting as it was before the test (which may change it)."""
    previous = threads.get_num_threads()
    yield
    threads.set_num_threads(previous)
