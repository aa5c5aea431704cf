"""Solvers see only the objective: ``solver.solve(objective, coef0) -> Result``."""

from ._base import Result
from .gd import GradientDescentSolver
from .lbfgs import LbfgsSolver
from .newton import NewtonCGSolver, NewtonCholeskySolver
from .prox import FistaSolver, ProxNewtonSolver, soft_threshold

#: Solver classes by the name an estimator's ``solver`` parameter takes.
SOLVERS = {
    "newton-cholesky": NewtonCholeskySolver,
    "newton-cg": NewtonCGSolver,
    "lbfgs": LbfgsSolver,
    "gd": GradientDescentSolver,
    "prox-newton": ProxNewtonSolver,
    "fista": FistaSolver,
}

#: Solvers that handle an L1 term (the others need ``l1_ratio == 0``).
L1_SOLVERS = frozenset({"prox-newton", "fista"})

__all__ = [
    "FistaSolver",
    "GradientDescentSolver",
    "L1_SOLVERS",
    "LbfgsSolver",
    "NewtonCGSolver",
    "NewtonCholeskySolver",
    "ProxNewtonSolver",
    "Result",
    "SOLVERS",
    "soft_threshold",
]
