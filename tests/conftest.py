import os

import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (CI must not depend on luck);
# HYPOTHESIS_PROFILE=explore draws fresh random examples to hunt for new failures.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


def five_point(f, x, h):
    """Five-point central difference of a scalar or vector function along each coordinate."""
    x = np.asarray(x, dtype=np.float64)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = h
        cols.append((-f(x + 2 * e) + 8 * f(x + e) - 8 * f(x - e) + f(x - 2 * e)) / (12 * h))
    return np.stack(cols, axis=-1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
