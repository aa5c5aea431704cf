"""Designs own the design matrix X and are the only place it is multiplied.

:class:`Design` is the contract (products, a row-block iterator, dtype, score
layout); :class:`ArrayDesign` the in-memory implementation (dense or CSR).
"""

from .array import ArrayDesign
from .base import Design

__all__ = ["ArrayDesign", "Design"]
