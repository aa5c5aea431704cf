"""Estimators: validate, encode, build the loss and objective, solve, unpack."""

from .logistic import LogisticClassifier

__all__ = ["LogisticClassifier"]
