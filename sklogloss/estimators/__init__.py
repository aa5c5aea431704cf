"""Estimators: validate, encode, build the loss and objective, solve, unpack."""

from .cv import LogisticClassifierCV, SoftmaxClassifierCV
from .dro import GroupDROClassifier
from .hurdle import HurdleRegressor
from .logistic import LogisticClassifier
from .noise import NoiseCorrectedClassifier
from .softmax import SoftmaxClassifier

__all__ = ["GroupDROClassifier", "HurdleRegressor", "LogisticClassifier", "LogisticClassifierCV",
           "NoiseCorrectedClassifier", "SoftmaxClassifier", "SoftmaxClassifierCV"]
