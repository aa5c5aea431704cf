"""Designs own the design matrix X and are the only place it is multiplied.

:class:`Design` is the contract (products, a row-block iterator, dtype, score
layout); :class:`ArrayDesign` the in-memory implementation (dense or CSR);
:class:`DaskDesign` row blocks on a dask.distributed cluster (dask imported
only when it is used).
"""

from .array import ArrayDesign
from .base import Design
from .dask import DaskDesign

__all__ = ["ArrayDesign", "DaskDesign", "Design"]
