"""GroupDROClassifier: minimise the worst group's average loss (Sagawa et al. 2020), solved to optimality."""

from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

from ..objective.adversarial import AdversarialObjective
from ..utils._sklearn import CachedParamNames, HasMethods, Interval
from ..utils.validation import check_sample_weight
from ._base import _fit_context, warn_user
from .logistic import LogisticClassifier

__all__ = ["GroupDROClassifier"]


def per_sample_losses(estimator, X, y):
    """Each sample's training loss under a fitted estimator of this package (summed over its problems).

    The loss its objectives minimise per unit of sample weight: the
    (smoothed, focal, class-weighted) cross-entropy, at the worst case (or its
    bound) with robust training; for a one-vs-rest
    :class:`~sklogloss.LogisticClassifier` the sum over the binary problems.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.estimators.dro import per_sample_losses
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> clf = LogisticClassifier().fit(X, [0, 1, 0, 1])
    >>> p = clf.predict_proba(X)[np.arange(4), [0, 1, 0, 1]]
    >>> bool(np.allclose(per_sample_losses(clf, X, [0, 1, 0, 1]), -np.log(p)))
    True
    """
    objectives = estimator._make_objective(X, y)
    starts = estimator._objective_coef()
    total = np.zeros(objectives[0].n_samples)
    for objective, coef in zip(objectives, starts):
        if isinstance(objective, AdversarialObjective):  # robust training: the loss at the worst case
            raw = objective.worst_case_scores(objective.lift(coef))
            objective = objective.base
        else:
            raw = objective.linear_predictor(coef)
        total += objective.sample_weight * objective.loss_fn.loss(objective.y, raw)
    return total


class GroupDROClassifier(CachedParamNames, MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Group distributionally robust classification: the fit that minimises the worst group's mean loss.

    With groups ``g = 1..G`` of ``n_g`` samples (sample-weighted) and ``L_g(theta)``
    the mean training loss of group ``g``, the fit solves::

        min_theta  max_g  C n (L_g(theta) + adjustment / sqrt(n_g)) + R(theta)

    with ``R`` the estimator's penalty (``(1 - l1_ratio)/2 ||w||^2 + ...``) and
    ``C`` its ``C``, ``n = sum_i s_i``. For a convex loss (the log loss) this
    is a convex min-max problem, the maximum over ``q`` in the simplex of the
    concave dual ``d(q) = min_theta C n sum_g q_g (L_g + a_g) + R``. The solver
    maximises ``d`` over ``q = softmax(phi)`` by L-BFGS: each evaluation of
    ``d`` is an exact fit of the estimator with sample weights ``s_i n q_g /
    n_g`` (warm-started), whose group losses are ``d``'s gradient in ``q``
    (the envelope theorem). It stops when the duality gap ``max_g (L_g + a_g)
    - sum_g q_g (L_g + a_g)`` (the primal minus the dual, per ``C n``) is at
    most ``tol``.

    Parameters
    ----------
    estimator : classifier of this package, default=None
        The model (its ``C``, penalty, loss, class weights); ``None``:
        ``LogisticClassifier()``. Cloned.
    adjustment : float >= 0, default=0.0
        Sagawa et al.'s generalisation adjustment ``C_adj``: group ``g``
        counts with ``L_g + adjustment / sqrt(n_g)``, favouring small groups.
    tol : float > 0, default=1e-6
        Duality gap (in units of the mean loss) at which the fit stops.
    max_iter : int >= 1, default=200
        L-BFGS iterations on the dual at most (each fit of the estimator
        counts in ``n_iter_``; at most ``2 * max_iter`` fits).

    Attributes
    ----------
    estimator_ : classifier
        The fitted model at the solution.
    classes_ : ndarray
        ``estimator_.classes_``.
    groups_ : ndarray of shape (n_groups,)
        The group labels, sorted.
    group_weights_ : ndarray of shape (n_groups,)
        ``q``, the weight of each group at the solution (sums to one).
    group_losses_ : ndarray of shape (n_groups,)
        Each group's mean training loss ``L_g`` at the solution (unadjusted).
    dro_gap_ : float
        The final duality gap (``<= tol`` when the fit converged).
    n_iter_ : int
        Fits of the estimator the dual ascent took.

    Notes
    -----
    ``groups`` is a required argument of :meth:`fit` and travels through
    scikit-learn's metadata routing: the class requests it by default, so
    with ``sklearn.set_config(enable_metadata_routing=True)``,
    ``GridSearchCV(GroupDROClassifier(...), ...).fit(X, y, groups=g)`` passes
    each training fold's groups to ``fit``. (Without routing, scikit-learn's
    searches give ``groups`` to the splitter only.) scikit-learn's estimator
    checks, which call ``fit(X, y)``, do not apply to it.

    Examples
    --------
    A majority group where feature 0 predicts the label and a minority where
    it predicts the opposite; feature 1 predicts it in both:

    >>> import numpy as np
    >>> from sklogloss import GroupDROClassifier
    >>> rng = np.random.default_rng(0)
    >>> g = (rng.random(1000) < 0.1).astype(int)
    >>> y = rng.integers(0, 2, 1000)
    >>> s = 2 * y - 1
    >>> X = np.c_[np.where(g == 0, s, -s) + rng.normal(size=1000), 0.5 * s + rng.normal(size=1000)]
    >>> dro = GroupDROClassifier().fit(X, y, groups=g)
    >>> bool(dro.dro_gap_ <= 1e-6), dro.group_weights_.round(2)
    (True, array([0.52, 0.48]))
    >>> bool(np.ptp(dro.group_losses_) < 1e-3)  # the worst group's loss is equalised
    True
    """

    __metadata_request__fit = {"groups": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "adjustment": [Interval(Real, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, estimator=None, adjustment=0.0, tol=1e-6, max_iter=200):
        self.estimator = estimator
        self.adjustment = adjustment
        self.tol = tol
        self.max_iter = max_iter

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups, sample_weight=None):
        """Fit the model that minimises the worst group's mean loss.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            Targets, as the estimator takes them.
        groups : array-like of shape (n_samples,)
            Group label of each sample (any hashable type numpy can sort).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights within the groups.

        Returns
        -------
        self
        """
        base = LogisticClassifier() if self.estimator is None else self.estimator
        if not hasattr(base, "_make_objective"):
            raise ValueError(f"GroupDROClassifier needs a classifier of this package (LogisticClassifier, "
                             f"SoftmaxClassifier, ...), whose training loss it evaluates per group; got "
                             f"{type(base).__name__}.")
        n = X.shape[0] if hasattr(X, "shape") else len(X)
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(f"groups must hold one group label per sample ({n}); got shape {groups.shape}.")
        sw = check_sample_weight(sample_weight, n)
        self.groups_, index = np.unique(groups, return_inverse=True)
        mass = np.bincount(index, weights=sw, minlength=self.groups_.size)
        if np.any(mass <= 0):
            empty = self.groups_[mass <= 0]
            raise ValueError(f"group(s) {list(empty)[:5]} have no sample with a positive weight: every group "
                             "needs samples (drop the group or give its samples weight).")
        total = float(mass.sum())
        adjust = self.adjustment / np.sqrt(mass)
        est = clone(base)
        if "warm_start" in est.get_params():
            est.set_params(warm_start=True)

        def evaluate(q):
            """The dual at q: fit, then the group losses and d(q) / (C n) (the fit's scaled objective)."""
            est.fit(X, y, sample_weight=sw * (total * q / mass)[index])
            losses = np.bincount(index, weights=sw * per_sample_losses(est, X, y),
                                 minlength=mass.size) / mass
            return losses, float(q @ (losses + adjust)) + self._penalty(est) / (_c(est) * total)

        best = {}

        def negative_dual(phi):
            """-d(q) at q = softmax(phi) and its gradient -q (a - q . a), a = L + adjust (envelope theorem)."""
            q = np.exp(phi - phi.max())
            q /= q.sum()
            losses, dual = evaluate(q)
            a = losses + adjust
            gap = float(a.max() - q @ a)
            best["evaluations"] = best.get("evaluations", 0) + 1
            best["last"] = q
            if gap < best.get("gap", np.inf):
                best.update(gap=gap, q=q, losses=losses)
            if gap <= self.tol:
                raise _Converged
            return -dual, -q * (a - q @ a)

        try:
            scipy.optimize.minimize(negative_dual, np.log(mass / total), jac=True, method="L-BFGS-B",
                                    options={"maxiter": self.max_iter, "maxfun": 2 * self.max_iter,
                                             "gtol": 0.0, "ftol": 0.0})
        except _Converged:
            pass
        q, losses, gap = best["q"], best["losses"], best["gap"]
        if gap > self.tol:
            from sklearn.exceptions import ConvergenceWarning

            warn_user(f"GroupDROClassifier stopped after {best['evaluations']} fits with a duality gap of "
                      f"{gap:.3g} > tol={self.tol:g}; increase max_iter or tol.", ConvergenceWarning)
        if best["last"] is not q:  # the last fit was a line-search trial: refit at the best q
            losses = evaluate(q)[0]
        it = best["evaluations"]
        self.estimator_ = est
        self.classes_ = est.classes_
        self.group_weights_ = q
        self.group_losses_ = losses
        self.dro_gap_ = gap
        self.n_iter_ = it
        if hasattr(est, "n_features_in_"):
            self.n_features_in_ = est.n_features_in_
        if hasattr(est, "feature_names_in_"):
            self.feature_names_in_ = est.feature_names_in_
        return self

    @staticmethod
    def _penalty(est):
        """The fitted estimator's penalty ``R(theta)`` in scikit-learn's scaling."""
        W = np.asarray(est.coef_, dtype=np.float64)
        l1_ratio = float(getattr(est, "l1_ratio", 0.0))
        if np.isinf(_c(est)):
            return 0.0
        if W.shape[0] == 1 and hasattr(est, "_centres_weights"):
            W = np.vstack([-W, W]) / 2  # a two-class softmax model's centred score vectors
        return 0.5 * (1 - l1_ratio) * float((W ** 2).sum()) + l1_ratio * float(np.abs(W).sum())

    def predict(self, X):
        """Class labels of the fitted model."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """Class probabilities of the fitted model."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def predict_log_proba(self, X):
        """Log class probabilities of the fitted model."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    def decision_function(self, X):
        """Raw scores of the fitted model."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)


class _Converged(Exception):
    """The duality gap reached tol inside the dual ascent."""


def _c(est):
    return float(getattr(est, "C", 1.0))
