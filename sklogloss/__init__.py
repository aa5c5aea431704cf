"""sklogloss: scikit-learn compatible estimators built on the logistic (cross-entropy) loss."""

from .estimators import (
    GroupDROClassifier,
    HurdleRegressor,
    LogisticClassifier,
    NoiseCorrectedClassifier,
    SoftmaxClassifier,
)

__version__ = "0.1.0"

__all__ = ["GroupDROClassifier", "HurdleRegressor", "LogisticClassifier", "NoiseCorrectedClassifier",
           "SoftmaxClassifier", "__version__"]
