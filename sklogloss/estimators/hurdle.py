"""HurdleRegressor: a logistic hurdle for zero vs positive, a zero-truncated count model above it.

The likelihood of a hurdle model separates into two independent parts (R's
``pscl::hurdle`` with ``zero.dist = "binomial"``, statsmodels'
``HurdleCountModel``)::

    P(y = 0)         = 1 - pi(x)
    P(y = k), k >= 1 = pi(x) * f(k; mu(x)) / (1 - f(0; mu(x)))

with ``pi`` a probabilistic classifier of ``y > 0`` (logistic regression by
default) and ``f`` a Poisson, negative binomial (NB2) or geometric mass with
``log(mu) = x @ count_coef_ + count_intercept_``. Each part is fitted on its
own: the classifier on all samples, the truncated count model on the positive
ones.
"""

from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted, validate_data

from ..design import ArrayDesign
from ..losses.counts import (
    ZeroTruncatedGeometricLoss,
    ZeroTruncatedNegativeBinomialLoss,
    ZeroTruncatedPoissonLoss,
)
from ..objective import LinearObjective, TruncatedNegBinObjective
from ..solvers import select_solver
from ..utils._sklearn import HasMethods, Interval, StrOptions, _fit_context
from ..utils.validation import check_sample_weight
from ._base import SparseInputMixin, fill_doc, run_solver, validate_X, warn_user
from ._targets import check_counts
from .logistic import LogisticClassifier

__all__ = ["HurdleRegressor"]

_COUNT_LOSSES = {
    "poisson": ZeroTruncatedPoissonLoss,
    "negative_binomial": ZeroTruncatedNegativeBinomialLoss,
    "geometric": ZeroTruncatedGeometricLoss,
}


@fill_doc
class HurdleRegressor(SparseInputMixin, RegressorMixin, BaseEstimator):
    """Hurdle model for counts with many zeros: logistic zero part, truncated count part.

    A classifier answers "zero or not", ``pi(x) = P(y > 0 | x)``, and a
    zero-truncated count model answers "how many, given at least one"::

        P(y = 0)         = 1 - pi(x)
        P(y = k), k >= 1 = pi(x) * f(k; mu) / (1 - f(0; mu)),   log(mu) = x @ count_coef_ + count_intercept_

    with ``f`` the Poisson, negative binomial (NB2, ``var = mu + mu**2 /
    theta``) or geometric mass. This is R's ``pscl::hurdle(dist = ...,
    zero.dist = "binomial")``: with the default ``C=np.inf`` both parts are
    maximum-likelihood fits, the coefficients, ``theta`` and the
    log-likelihood (the sum of :meth:`score_samples`) are those pscl reports.

    The two parts have separate likelihoods and are fitted separately: the
    zero part on ``(X, y > 0)`` for all samples, the count part on the samples
    with ``y > 0``. With a finite ``C``, each part minimises
    ``C * sum_i s_i * loss_i + ||w||^2 / 2`` (intercepts and ``theta`` not
    penalised), the objective of :class:`~sklogloss.LogisticClassifier`.

    Parameters
    ----------
    count_distribution : {"poisson", "negative_binomial", "geometric"}, default="poisson"
        Distribution of the counts above the hurdle. For ``"negative_binomial"``
        ``theta`` is estimated jointly with the coefficients (on
        ``log(theta)``); ``"geometric"`` is the negative binomial with
        ``theta = 1``.
    C : float, default=np.inf
        Inverse L2 penalty strength for both parts; ``np.inf`` (the default)
        is the unpenalised maximum-likelihood fit.
    fit_intercept : bool, default=True
        Whether both parts have an (unpenalised) intercept.
    zero_estimator : classifier or None, default=None
        Probabilistic classifier (``fit`` and ``predict_proba``) for the zero
        part; it is cloned and fitted on ``(X, (y > 0).astype(int))`` (with
        ``sample_weight`` when given). ``None`` means
        ``LogisticClassifier(C=C, fit_intercept=fit_intercept, solver=solver,
        tol=tol, max_iter=max_iter)``, pscl's logit hurdle.
    solver : {"auto", "newton-cholesky", "newton-cg", "lbfgs"}, default="auto"
        Solver of the count part (and of the default zero estimator).
        ``"auto"`` is Newton-Cholesky when the Hessian has at most 1500 rows,
        Newton-CG otherwise. The negative binomial's Newton steps use the
        observed Hessian in ``(coef, log(theta))`` and fall back to its
        positive eigenspace where it is not positive definite.
    tol : float, default=1e-8
        Stop when the max-norm of the gradient of each part's objective,
        divided by ``C * sum(sample_weight)`` (by ``sum(sample_weight)`` when
        ``C = inf``), is at most ``tol``.
    max_iter : int or None, default=None
        Maximum number of solver iterations per part; ``None`` uses the
        solver's default (100 for the Newton solvers, 1000 for L-BFGS).
    verbose : int, default=0
        Print solver progress if positive.

    Attributes
    ----------
    zero_estimator_ : classifier
        The fitted zero part; its ``classes_`` are ``[0, 1]`` (1 means ``y > 0``).
    count_coef_ : ndarray of shape (n_features,)
        Weights of ``log(mu)`` in the count part.
    count_intercept_ : float
        Intercept of ``log(mu)`` (0 if ``fit_intercept=False``).
    theta_ : float or None
        Negative binomial dispersion (NB2, ``var = mu + mu**2 / theta``); ``None``
        for the Poisson and the geometric.
    n_iter_ : int
        Solver iterations of the count part (for the negative binomial, the
        truncated-Poisson start plus the joint fit); the zero part's are in
        ``zero_estimator_.n_iter_``.
    solver_ : str
        The solver used for the count part.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.

    See Also
    --------
    sklogloss.losses.counts.ZeroTruncatedPoissonLoss : the count part's loss.
    statsmodels.discrete.truncated_model.HurdleCountModel : hurdle with a count zero part.

    Notes
    -----
    The zero estimator sees the validated array (feature names are checked by
    this estimator, not passed on).

    Examples
    --------
    Simulated data: ``logit P(y > 0) = 0.5 + x0`` and zero-truncated Poisson
    counts with ``log(mu) = 1 + 0.5 * x1``.

    >>> import numpy as np
    >>> from sklogloss.estimators.hurdle import HurdleRegressor
    >>> rng = np.random.default_rng(1)
    >>> n = 5000
    >>> X = rng.normal(size=(n, 2))
    >>> positive = rng.random(n) < 1 / (1 + np.exp(-(0.5 + X[:, 0])))
    >>> draws = rng.poisson(np.exp(1.0 + 0.5 * X[:, 1]), size=(100, n))
    >>> above_zero = draws[(draws > 0).argmax(axis=0), np.arange(n)]  # first positive draw
    >>> y = np.where(positive, above_zero, 0)
    >>> model = HurdleRegressor(count_distribution="poisson").fit(X, y)
    >>> model.zero_estimator_.coef_.round(1), model.zero_estimator_.intercept_.round(1)
    (array([[1., 0.]]), array([0.5]))
    >>> model.count_coef_.round(1), round(model.count_intercept_, 1)
    (array([0. , 0.5]), 1.0)
    >>> pmf = model.predict_pmf(X[:2], max_count=60)
    >>> pmf[:, :4].round(3)
    array([[0.287, 0.049, 0.1  , 0.138],
           [0.309, 0.316, 0.222, 0.103]])
    >>> np.allclose(pmf.sum(axis=1), 1), np.allclose(pmf @ np.arange(61), model.predict(X[:2]))
    (True, True)
    """

    _parameter_constraints = {
        "count_distribution": [StrOptions(set(_COUNT_LOSSES))],
        "C": [Interval(Real, 0, None, closed="right")],
        "fit_intercept": ["boolean"],
        "zero_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "solver": [StrOptions({"auto", "newton-cholesky", "newton-cg", "lbfgs"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left"), None],
        "verbose": ["verbose"],
    }

    def __init__(self, count_distribution="poisson", C=np.inf, fit_intercept=True,
                 zero_estimator=None, solver="auto", tol=1e-8, max_iter=None, verbose=0):
        self.count_distribution = count_distribution
        self.C = C
        self.fit_intercept = fit_intercept
        self.zero_estimator = zero_estimator
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    # --------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the zero part on all samples and the count part on the positive ones.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept as float32, CSR stays sparse.
        y : array-like of shape (n_samples,)
            Non-negative integer counts, with at least one zero and one
            positive count among the samples of positive weight.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of both parts (an integer weight equals
            repeating the row).

        Returns
        -------
        self : HurdleRegressor
            The fitted estimator.
        """
        X, y, sw = self._validate_counts(X, y, sample_weight, reset=True)
        used = sw > 0
        if not np.any(y[used] == 0) or not np.any(y[used] > 0):
            kind = "zeros" if np.any(y[used] == 0) else "positive counts"
            raise ValueError(
                "A hurdle model needs at least one zero and one positive count in y (among the "
                f"samples with positive weight); got only {kind}, so the zero part, a classifier "
                "of y > 0, would see one class.")

        self.zero_estimator_ = self._fit_zero_part(X, (y > 0).astype(np.int64), sample_weight, sw)

        pos = y > 0
        Xp, yp, swp = X[pos], y[pos], sw[pos]
        if np.isinf(self.C) and np.all(yp[swp > 0] == 1):
            warn_user(
                "Every positive count is 1: the zero-truncated count model's maximum-likelihood "
                "mean sits at its limit (mu -> 0), so count_coef_ and count_intercept_ are not "
                "finite estimates (their size is set by tol); predict equals P(y > 0). Use a "
                "finite C for a unique count model.", ConvergenceWarning)
        negbin = self.count_distribution == "negative_binomial"
        solver = select_solver(self.solver, 0.0, X.shape[1] + self.fit_intercept + negbin)
        design = ArrayDesign(Xp)
        # The negative binomial starts from the truncated Poisson fit and theta's profile.
        obj = self._count_objective(design, yp, swp, "poisson" if negbin else None)
        result = run_solver(self, obj, self._count_start(obj), solver, " (count part)")
        coef, n_iter, theta = result.coef, result.n_iter, None
        if negbin:
            obj = self._count_objective(design, yp, swp)
            start = np.append(coef, self._log_theta_start(obj, coef))
            result = run_solver(self, obj, start, solver, " (count part)")
            coef, theta, n_iter = result.coef[:-1], float(np.exp(result.coef[-1])), n_iter + result.n_iter
        n_features = X.shape[1]
        self.count_coef_ = coef[:n_features].copy()
        self.count_intercept_ = float(coef[n_features]) if self.fit_intercept else 0.0
        self.theta_ = theta
        self.n_iter_ = int(n_iter)
        self.solver_ = solver
        return self

    def _validate_counts(self, X, y, sample_weight, reset):
        X, y = validate_data(self, X, y, reset=reset, accept_sparse="csr",
                             dtype=[np.float64, np.float32], y_numeric=True)
        return X, check_counts(y), check_sample_weight(sample_weight, X)

    def _fit_zero_part(self, X, z, sample_weight, sw):
        if self.zero_estimator is None:
            est = LogisticClassifier(C=self.C, fit_intercept=self.fit_intercept, solver=self.solver,
                                     tol=self.tol, max_iter=self.max_iter, verbose=self.verbose)
        else:
            est = clone(self.zero_estimator)
        if sample_weight is None:
            est.fit(X, z)
        else:
            est.fit(X, z, sample_weight=sw)
        classes = np.asarray(getattr(est, "classes_", None))
        if classes.shape != (2,) or not np.array_equal(np.sort(classes), [0, 1]):
            raise ValueError(f"The zero estimator must learn the classes [0, 1] (y > 0); its "
                             f"classes_ are {classes!r}.")
        return est

    def _count_objective(self, design, y, sw, distribution=None):
        """The count part's objective on positive counts ``y``: the one factory of the count part.

        ``distribution`` (default ``count_distribution``) selects the
        zero-truncated loss; the negative binomial's objective carries
        ``log(theta)`` as its last coefficient.
        """
        distribution = distribution or self.count_distribution
        if distribution == "negative_binomial":
            return TruncatedNegBinObjective(design, y, sample_weight=sw,
                                            fit_intercept=self.fit_intercept, C=self.C)
        return LinearObjective(design, y, _COUNT_LOSSES[distribution](), sample_weight=sw,
                               fit_intercept=self.fit_intercept, C=self.C)

    def _make_objective(self, X, y, sample_weight=None):
        """The count part's objective at the fitted state, on the positive counts of ``(X, y)``.

        With the training data it is the objective ``fit`` minimised for the
        count part (e.g. for standard errors at :meth:`_objective_coef`); the
        zero part is ``zero_estimator_``'s own.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, usually the training data.
        y : array-like of shape (n_samples,)
            Non-negative integer counts.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        Objective
            A :class:`~sklogloss.objective.LinearObjective` of the zero-truncated
            loss, or the :class:`~sklogloss.objective.TruncatedNegBinObjective`.
        """
        check_is_fitted(self)
        X, y, sw = self._validate_counts(X, y, sample_weight, reset=False)
        pos = y > 0
        return self._count_objective(ArrayDesign(X[pos]), y[pos], sw[pos])

    def _objective_coef(self):
        """``[count_coef_, count_intercept_ (if fitted), log(theta_) (negative binomial)]``."""
        check_is_fitted(self)
        coef = [self.count_coef_, [self.count_intercept_] if self.fit_intercept else []]
        if self.theta_ is not None:
            coef.append([np.log(self.theta_)])
        return np.concatenate(coef).astype(np.float64)

    def _count_start(self, obj):
        """Zero weights; the intercept whose truncated mean is the weighted mean count."""
        start = obj.zero_coef()
        if self.fit_intercept:
            ybar = float(obj.sample_weight @ obj.y) / obj.weight_sum
            # Untruncated mean whose truncated mean is ybar (geometric: 1 + mu; Poisson: ~ybar).
            start[-1] = np.log(max(ybar - 1.0, 1e-3)) if self.count_distribution == "geometric" \
                else np.log(ybar)
        return start

    def _log_theta_start(self, obj, coef_poisson):
        """The minimiser of the negative binomial's profile in ``log(theta)`` at the Poisson fit."""
        raw = obj.linear_predictor(np.append(coef_poisson, 0.0))
        weights, y = obj.base.sw, obj.base.y

        def profile(t):
            return float(weights @ ZeroTruncatedNegativeBinomialLoss(np.exp(t)).loss(y, raw))

        return scipy.optimize.minimize_scalar(profile, bounds=(np.log(1e-3), np.log(1e3)),
                                              method="bounded", options={"xatol": 1e-2}).x

    # ----------------------------------------------------------- predict
    def _count_loss(self):
        if self.count_distribution == "negative_binomial":
            return ZeroTruncatedNegativeBinomialLoss(theta=self.theta_)
        return _COUNT_LOSSES[self.count_distribution]()

    def _validate(self, X):
        check_is_fitted(self)
        return validate_X(self, X, reset=False)

    def _count_raw(self, X):
        raw = X @ self.count_coef_.astype(X.dtype, copy=False) + self.count_intercept_
        return np.asarray(raw, dtype=np.float64).ravel()

    def _zero_log_proba(self, X):
        """``(log P(y = 0), log P(y > 0))`` from the zero part."""
        est = self.zero_estimator_
        if hasattr(est, "predict_log_proba"):
            logp = est.predict_log_proba(X)
        else:
            with np.errstate(divide="ignore"):
                logp = np.log(est.predict_proba(X))
        classes = np.asarray(est.classes_)
        return logp[:, np.flatnonzero(classes == 0)[0]], logp[:, np.flatnonzero(classes == 1)[0]]

    def predict(self, X):
        """Expected count ``E[y | x] = P(y > 0) * mu / (1 - f(0; mu))``.

        {{X_returns}}
        ndarray of shape (n_samples,)
            The mean of the hurdle distribution (pscl's ``type = "response"``,
            statsmodels' ``which="mean"``).
        """
        X = self._validate(X)
        # In log space: P(y > 0) may underflow to 0 where the truncated mean overflows.
        log_pos = self._zero_log_proba(X)[1]
        with np.errstate(over="ignore"):
            return np.exp(log_pos + self._count_loss().log_mean(self._count_raw(X)))

    def predict_zero_proba(self, X):
        """Probability of a zero count, ``P(y = 0 | x)``.

        {{X_returns}}
        ndarray of shape (n_samples,)
            ``1 - pi(x)`` from the zero part (statsmodels' ``which="prob-zero"``).
        """
        X = self._validate(X)
        est = self.zero_estimator_
        return est.predict_proba(X)[:, np.flatnonzero(np.asarray(est.classes_) == 0)[0]]

    def predict_pmf(self, X, max_count):
        """Probabilities ``P(y = k | x)`` for ``k = 0, ..., max_count``.

        {{X}}
        max_count : int
            Largest count; the rows sum to ``P(y <= max_count)``.

        Returns
        -------
        ndarray of shape (n_samples, max_count + 1)
            Column ``k`` is ``P(y = k | x)`` (pscl's ``type = "prob"``).
        """
        if not isinstance(max_count, Integral) or isinstance(max_count, bool) or max_count < 0:
            raise ValueError(f"max_count must be a non-negative integer; got {max_count!r}.")
        X = self._validate(X)
        log_zero, log_pos = self._zero_log_proba(X)
        raw = self._count_raw(X)
        k = np.arange(1, max_count + 1, dtype=np.float64)
        log_trunc = -self._count_loss().loss(k[None, :], raw[:, None])
        pmf = np.empty((raw.shape[0], max_count + 1))
        pmf[:, 0] = np.exp(log_zero)
        pmf[:, 1:] = np.exp(log_pos[:, None] + log_trunc)
        return pmf

    def score_samples(self, X, y):
        """Per-sample log-likelihood ``log P(y_i | x_i)`` of the hurdle model.

        Its sum over the training data is the model's log-likelihood as pscl's
        ``logLik`` reports it: the zero part's plus the truncated count part's.

        {{X}}
        y : array-like of shape (n_samples,)
            Non-negative integer counts.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``log(1 - pi)`` for a zero, ``log(pi) + log f(y) - log(1 - f(0))``
            otherwise.
        """
        X = self._validate(X)
        y = check_counts(np.ravel(y))
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}.")
        log_zero, log_pos = self._zero_log_proba(X)
        out = log_zero.astype(np.float64)
        pos = y > 0
        if np.any(pos):
            Xp = X[pos]
            out[pos] = log_pos[pos] - self._count_loss().loss(y[pos], self._count_raw(Xp))
        return out

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination ``R^2`` of :meth:`predict` (the expected count).

        The scikit-learn default for regressors, used by model selection tools.
        For the likelihood of the counts, sum :meth:`score_samples`.

        {{X}}
        y : array-like of shape (n_samples,)
            True counts.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        float
            ``1 - sum s (y - E[y|x])^2 / sum s (y - ybar)^2``.
        """
        return r2_score(y, self.predict(X), sample_weight=sample_weight)
