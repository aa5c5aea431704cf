"""Objectives: the penalised, weighted risk of a model, the only thing solvers see.

:class:`Objective` is the contract (:mod:`sklogloss.objective.base`),
:class:`LinearObjective` the risk of a linear model with any loss, and
:class:`TruncatedNegBinObjective` the zero-truncated negative binomial with
its ``log(theta)`` as an extra coefficient, and :class:`BlockSumObjective` the
objective of data in row blocks on a cluster (the sum of the blocks').
"""

from ..design import ArrayDesign
from .base import Objective
from .blocks import BlockSumObjective
from .linear import LinearObjective, apply_class_weight, class_weight_multiplier
from .negbin import TruncatedNegBinObjective

# ArrayDesign lives in sklogloss.design; it is importable from here as before.
__all__ = ["ArrayDesign", "BlockSumObjective", "LinearObjective", "Objective", "TruncatedNegBinObjective",
           "apply_class_weight", "class_weight_multiplier"]
