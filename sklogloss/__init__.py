"""sklogloss: scikit-learn compatible estimators built on the logistic (cross-entropy) loss."""

from .estimators import LogisticClassifier

__version__ = "0.1.0"

__all__ = ["LogisticClassifier", "__version__"]
