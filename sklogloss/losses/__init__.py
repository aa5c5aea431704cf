"""Per-sample losses on raw predictions. A loss never sees the design matrix."""

from .binomial import BinomialLoss, log1pexp, sigmoid
from .counts import (
    ZeroTruncatedGeometricLoss,
    ZeroTruncatedNegativeBinomialLoss,
    ZeroTruncatedPoissonLoss,
    log1mexp,
)
from .multinomial import MultinomialLoss, log_softmax, softmax

__all__ = [
    "BinomialLoss",
    "MultinomialLoss",
    "ZeroTruncatedGeometricLoss",
    "ZeroTruncatedNegativeBinomialLoss",
    "ZeroTruncatedPoissonLoss",
    "log1mexp",
    "log1pexp",
    "log_softmax",
    "sigmoid",
    "softmax",
]
