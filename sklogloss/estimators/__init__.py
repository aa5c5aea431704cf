"""Estimators: validate, encode, build the loss and objective, solve, unpack."""

from .logistic import LogisticClassifier
from .softmax import SoftmaxClassifier

__all__ = ["LogisticClassifier", "SoftmaxClassifier"]
