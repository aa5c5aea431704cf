"""sklogloss: scikit-learn compatible estimators built on the logistic (cross-entropy) loss."""

from .estimators import (
    GroupDROClassifier,
    HurdleRegressor,
    LogisticClassifier,
    LogisticClassifierCV,
    NoiseCorrectedClassifier,
    SoftmaxClassifier,
    SoftmaxClassifierCV,
)

__version__ = "0.1.0"

__all__ = ["GroupDROClassifier", "HurdleRegressor", "LogisticClassifier", "LogisticClassifierCV",
           "NoiseCorrectedClassifier", "SoftmaxClassifier", "SoftmaxClassifierCV", "__version__"]
