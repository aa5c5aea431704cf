"""Per-sample losses on raw predictions. A loss never sees the design matrix."""

from .binomial import BinomialLoss, log1pexp, sigmoid
from .counts import (
    ZeroTruncatedGeometricLoss,
    ZeroTruncatedNegativeBinomialLoss,
    ZeroTruncatedPoissonLoss,
    log1mexp,
)
from .focal import BinaryFocalLoss, MultinomialFocalLoss
from .multinomial import MultinomialLoss, log_softmax, softmax
from .noise import BackwardCorrectedLoss, ForwardCorrectedLoss, check_transition_matrix

__all__ = [
    "BackwardCorrectedLoss",
    "BinaryFocalLoss",
    "BinomialLoss",
    "ForwardCorrectedLoss",
    "MultinomialFocalLoss",
    "MultinomialLoss",
    "ZeroTruncatedGeometricLoss",
    "ZeroTruncatedNegativeBinomialLoss",
    "ZeroTruncatedPoissonLoss",
    "check_transition_matrix",
    "log1mexp",
    "log1pexp",
    "log_softmax",
    "sigmoid",
    "softmax",
]
