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
from .inference import VuongResult, hurdle_test, vuong_test
from .plotting import RootogramDisplay

__version__ = "0.1.0"

__all__ = ["GroupDROClassifier", "HurdleRegressor", "LogisticClassifier", "LogisticClassifierCV",
           "NoiseCorrectedClassifier", "RootogramDisplay", "SoftmaxClassifier", "SoftmaxClassifierCV", "VuongResult",
           "__version__", "hurdle_test", "vuong_test"]
