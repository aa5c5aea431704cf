"""Per-sample losses on raw predictions. A loss never sees the design matrix."""

from .binomial import BinomialLoss, log1pexp, sigmoid
from .multinomial import MultinomialLoss, softmax

__all__ = ["BinomialLoss", "MultinomialLoss", "log1pexp", "sigmoid", "softmax"]
