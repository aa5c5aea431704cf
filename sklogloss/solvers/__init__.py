"""Solvers see only the objective: ``solver.solve(objective, coef0) -> Result``.

Each solver declares what it needs of the objective (``requires``, ``handles_l1``;
see :class:`Solver`) and checks it in ``solve``.
"""

from ._base import Result, Solver
from ._policy import HESSIAN_FREE_WIDTH, MAX_DENSE_HESSIAN, ROW_NEWTON_RATIO, SMALL_FULL_HESSIAN, select_solver
from .gd import GradientDescentSolver
from .lbfgs import LbfgsSolver
from .newton import NewtonCholeskySolver
from .newton_cg import NewtonCGSolver
from .prox import FistaSolver, ProxNewtonSolver, soft_threshold

#: Solver classes by the name an estimator's ``solver`` parameter takes.
SOLVERS = {cls.name: cls for cls in (NewtonCholeskySolver, NewtonCGSolver, LbfgsSolver,
                                     GradientDescentSolver, ProxNewtonSolver, FistaSolver)}

#: Solvers that handle an L1 term (the others need ``l1_ratio == 0``).
L1_SOLVERS = frozenset(name for name, cls in SOLVERS.items() if cls.handles_l1)

#: ``max_iter=None`` means this, per solver.
DEFAULT_MAX_ITER = {name: cls.default_max_iter for name, cls in SOLVERS.items()}

__all__ = [
    "DEFAULT_MAX_ITER",
    "FistaSolver",
    "GradientDescentSolver",
    "L1_SOLVERS",
    "LbfgsSolver",
    "HESSIAN_FREE_WIDTH",
    "MAX_DENSE_HESSIAN",
    "NewtonCGSolver",
    "NewtonCholeskySolver",
    "ProxNewtonSolver",
    "ROW_NEWTON_RATIO",
    "Result",
    "SOLVERS",
    "Solver",
    "SMALL_FULL_HESSIAN",
    "select_solver",
    "soft_threshold",
]
