"""HurdleRegressor: a logistic hurdle for zero vs positive, a zero-truncated count model above it.

The likelihood of a hurdle model separates into two independent parts (R's
``pscl::hurdle`` with ``zero.dist = "binomial"``, statsmodels'
``HurdleCountModel``)::

    P(y = 0)         = 1 - pi(x)
    P(y = k), k >= 1 = pi(x) * f(k; mu(x)) / (1 - f(0; mu(x)))

with ``pi`` a probabilistic classifier of ``y > 0`` (logistic regression by
default) and ``f`` a Poisson, negative binomial (NB2) or geometric mass with
``log(mu) = x @ count_coef_ + count_intercept_ + offset``. Each part is fitted
on its own columns of X (pscl's ``y ~ x | z``): the classifier on all samples,
the truncated count model on the positive ones.
"""

from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted

from ..design import ArrayDesign
from ..losses.counts import (
    ZeroTruncatedGeometricLoss,
    ZeroTruncatedNegativeBinomialLoss,
    ZeroTruncatedPoissonLoss,
)
from ..objective import LinearObjective, TruncatedNegBinObjective
from ..solvers import select_solver
from ..utils._sklearn import HasMethods, Interval, StrOptions, _fit_context, validate_data
from ..utils._threads import weighted_sum
from ..utils.validation import check_sample_weight
from ._base import SparseInputMixin, fill_doc, run_solver, validate_X, warn_user
from ._hurdle_features import resolve_features, resolve_offset, take_columns
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

    A classifier answers "zero or not", ``pi(z) = P(y > 0 | z)``, and a
    zero-truncated count model answers "how many, given at least one"::

        P(y = 0)         = 1 - pi(z)
        P(y = k), k >= 1 = pi(z) * f(k; mu) / (1 - f(0; mu)),
        log(mu) = x @ count_coef_ + count_intercept_ + offset

    with ``z`` the columns ``zero_features_`` and ``x`` the columns
    ``count_features_`` of a row of X, and ``f`` the Poisson, negative
    binomial (NB2, ``var = mu + mu**2 / theta``) or geometric mass. This is R's
    ``pscl::hurdle(y ~ x | z, dist = ..., zero.dist = "binomial", offset =
    ...)``: with the default ``C=np.inf`` both parts are maximum-likelihood
    fits, and the coefficients, ``theta`` and the log-likelihood (the sum of
    :meth:`log_likelihood`) are those pscl reports.

    The two parts have separate likelihoods and are fitted separately: the
    zero part on ``(X[:, zero_features_], y > 0)`` for all samples, the count
    part on the samples with ``y > 0``. With a finite ``C``, each part
    minimises ``C * sum_i s_i * loss_i + ||w||^2 / 2`` (intercepts and
    ``theta`` not penalised), the objective of
    :class:`~sklogloss.LogisticClassifier`.

    Parameters
    ----------
    count_distribution : {"poisson", "negative_binomial", "geometric"}, default="poisson"
        Distribution of the counts above the hurdle (pscl's ``dist``). For
        ``"negative_binomial"`` ``theta`` is estimated jointly with the
        coefficients (on ``log(theta)``); ``"geometric"`` is the negative
        binomial with ``theta = 1``.
    C : float, default=np.inf
        Inverse L2 penalty strength for both parts; ``np.inf`` (the default)
        is the unpenalised maximum-likelihood fit.
    fit_intercept : bool, default=True
        Whether both parts have an (unpenalised) intercept.
    zero_estimator : classifier or None, default=None
        Probabilistic classifier (``fit`` and ``predict_proba``) for the zero
        part; it is cloned and fitted on ``(X[:, zero_features_], (y >
        0).astype(int))`` (with ``sample_weight`` when given). ``None`` means
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
    zero_features : array-like of int, str or bool, default=None
        Columns of X the zero part uses (pscl's ``z``): column indices,
        column names (X a DataFrame with string column names) or a boolean
        mask of length ``n_features``; ``None`` means every column. At least
        one column; the coefficients follow X's column order.
    count_features : array-like of int, str or bool, default=None
        Columns of X the count part uses (pscl's ``x``), as ``zero_features``.

    Attributes
    ----------
    zero_estimator_ : classifier
        The fitted zero part; its ``classes_`` are ``[0, 1]`` (1 means
        ``y > 0``) and its ``coef_`` has one weight per column of
        ``zero_features_``.
    zero_features_ : ndarray of shape (n_zero_features,)
        Indices (increasing) of the columns of X the zero part uses.
    count_features_ : ndarray of shape (n_count_features,)
        Indices (increasing) of the columns of X the count part uses.
    count_coef_ : ndarray of shape (n_count_features,)
        Weights of ``log(mu)``, one per column of ``count_features_``.
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
    sklogloss.inference.hurdle_test : pscl's ``hurdletest``.
    sklogloss.inference.vuong_test : pscl's ``vuong``.
    sklogloss.plotting.RootogramDisplay : observed against expected count frequencies.
    statsmodels.discrete.truncated_model.HurdleCountModel : hurdle with a count zero part.

    Notes
    -----
    Predictions, with pscl's ``predict(..., type = )``:

    ================================  ==============  ======================================
    method                            pscl ``type``   value
    ================================  ==============  ======================================
    :meth:`predict`                   ``"response"``  ``E[y] = pi * mu / (1 - f(0; mu))``
    :meth:`predict_count_mean`        ``"count"``     ``mu``, the untruncated count mean
    :meth:`predict_hurdle_ratio`      ``"zero"``      ``pi / (1 - f(0; mu))``
    :meth:`predict_pmf`               ``"prob"``      ``P(y = k)`` for ``k = 0..max_count``
    :meth:`predict_zero_proba`        (column 0 of    ``P(y = 0) = 1 - pi``
                                      ``"prob"``)
    ================================  ==============  ======================================

    The offset enters the count part only (as pscl's ``offset`` argument);
    pass the same ``offset`` (or ``exposure``) to ``fit`` and to the
    predictions. The zero estimator sees the validated array of its columns
    (feature names are checked by this estimator, not passed on).

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

    Each part on its own column (pscl's ``y ~ x1 | x0``), and pscl's
    prediction types:

    >>> model = HurdleRegressor(zero_features=[0], count_features=[1]).fit(X, y)
    >>> model.zero_features_, model.count_features_, model.count_coef_.round(1)
    (array([0]), array([1]), array([0.5]))
    >>> mu = model.predict_count_mean(X[:2])                 # type = "count"
    >>> ratio = model.predict_hurdle_ratio(X[:2])            # type = "zero"
    >>> bool(np.allclose(model.predict(X[:2]), ratio * mu))  # type = "response"
    True
    >>> round(float(model.log_likelihood(X, y).sum()), 1)    # logLik
    -8179.4
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
        "zero_features": ["array-like", None],
        "count_features": ["array-like", None],
    }

    def __init__(self, count_distribution="poisson", C=np.inf, fit_intercept=True,
                 zero_estimator=None, solver="auto", tol=1e-8, max_iter=None, verbose=0,
                 zero_features=None, count_features=None):
        self.count_distribution = count_distribution
        self.C = C
        self.fit_intercept = fit_intercept
        self.zero_estimator = zero_estimator
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose
        self.zero_features = zero_features
        self.count_features = count_features

    # --------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, offset=None, exposure=None):
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
        offset : array-like of shape (n_samples,), default=None
            Known term of the count part's ``log(mu)`` (pscl's ``offset``).
        exposure : array-like of shape (n_samples,), default=None
            Positive exposures: ``offset = log(exposure)``. Not with ``offset``.

        Returns
        -------
        self : HurdleRegressor
            The fitted estimator.
        """
        X, y, sw = self._validate_counts(X, y, sample_weight, reset=True)
        off = resolve_offset(offset, exposure, X.shape[0])
        names = getattr(self, "feature_names_in_", None)
        zero_features = resolve_features(self.zero_features, X.shape[1], names, "zero_features")
        count_features = resolve_features(self.count_features, X.shape[1], names, "count_features")
        used = sw > 0
        if not np.any(y[used] == 0) or not np.any(y[used] > 0):
            kind = "zeros" if np.any(y[used] == 0) else "positive counts"
            raise ValueError(
                "A hurdle model needs at least one zero and one positive count in y (among the "
                f"samples with positive weight); got only {kind}, so the zero part, a classifier "
                "of y > 0, would see one class.")

        self.zero_features_, self.count_features_ = zero_features, count_features
        self.zero_estimator_ = self._fit_zero_part(take_columns(X, zero_features), (y > 0).astype(np.int64),
                                                   sample_weight, sw)

        pos = y > 0
        Xp, yp, swp = take_columns(X, count_features)[pos], y[pos], sw[pos]
        offp = None if off is None else off[pos]
        if np.isinf(self.C) and np.all(yp[swp > 0] == 1):
            warn_user(
                "Every positive count is 1: the zero-truncated count model's maximum-likelihood "
                "mean sits at its limit (mu -> 0), so count_coef_ and count_intercept_ are not "
                "finite estimates (their size is set by tol); predict equals P(y > 0). Use a "
                "finite C for a unique count model.", ConvergenceWarning)
        negbin = self.count_distribution == "negative_binomial"
        n_features = count_features.size
        solver = select_solver(self.solver, 0.0, n_features + self.fit_intercept + negbin)
        design = ArrayDesign(Xp)
        # The negative binomial starts from the truncated Poisson fit and theta's profile.
        obj = self._count_objective(design, yp, swp, offp, "poisson" if negbin else None)
        result = run_solver(self, obj, self._count_start(obj), solver, " (count part)")
        coef, n_iter, theta = result.coef, result.n_iter, None
        if negbin:
            obj = self._count_objective(design, yp, swp, offp)
            start = np.append(coef, self._log_theta_start(obj, coef))
            result = run_solver(self, obj, start, solver, " (count part)")
            coef, theta, n_iter = result.coef[:-1], float(np.exp(result.coef[-1])), n_iter + result.n_iter
        self.count_coef_ = coef[:n_features].copy()
        self.count_intercept_ = float(coef[n_features]) if self.fit_intercept else 0.0
        self.theta_ = theta
        self.n_iter_ = int(n_iter)
        self.solver_ = solver
        self._fitted_with_offset = off is not None
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

    def _count_objective(self, design, y, sw, offset=None, distribution=None):
        """The count part's objective on positive counts ``y``: the one factory of the count part.

        ``design`` holds the count part's columns of the positive counts' rows
        and ``offset`` their offsets. ``distribution`` (default
        ``count_distribution``) selects the zero-truncated loss; the negative
        binomial's objective carries ``log(theta)`` as its last coefficient.
        """
        distribution = distribution or self.count_distribution
        if distribution == "negative_binomial":
            return TruncatedNegBinObjective(design, y, sample_weight=sw, fit_intercept=self.fit_intercept,
                                            C=self.C, offset=offset)
        return LinearObjective(design, y, _COUNT_LOSSES[distribution](), sample_weight=sw,
                               fit_intercept=self.fit_intercept, C=self.C, offset=offset)

    def _make_objective(self, X, y, sample_weight=None, offset=None, exposure=None):
        """The count part's objective at the fitted state, on the positive counts of ``(X, y)``.

        With the training data it is the objective ``fit`` minimised for the
        count part (e.g. for standard errors at :meth:`_objective_coef`); the
        zero part is ``zero_estimator_``'s own.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, usually the training data (all columns; the count part's
            are taken here).
        y : array-like of shape (n_samples,)
            Non-negative integer counts.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        {{offset}}

        Returns
        -------
        Objective
            A :class:`~sklogloss.objective.LinearObjective` of the zero-truncated
            loss, or the :class:`~sklogloss.objective.TruncatedNegBinObjective`.
        """
        check_is_fitted(self)
        X, y, sw = self._validate_counts(X, y, sample_weight, reset=False)
        off = resolve_offset(offset, exposure, X.shape[0])
        pos = y > 0
        return self._count_objective(ArrayDesign(take_columns(X, self.count_features_)[pos]), y[pos], sw[pos],
                                     None if off is None else off[pos])

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
            ybar = float(weighted_sum(obj.sample_weight, obj.y)) / obj.weight_sum
            # Untruncated mean whose truncated mean is ybar (geometric: 1 + mu; Poisson: ~ybar).
            start[-1] = np.log(max(ybar - 1.0, 1e-3)) if self.count_distribution == "geometric" \
                else np.log(ybar)
            if obj.offset is not None:  # ... less the weighted mean offset
                start[-1] -= float(weighted_sum(obj.sample_weight, obj.offset)) / obj.weight_sum
        return start

    def _log_theta_start(self, obj, coef_poisson):
        """The minimiser of the negative binomial's profile in ``log(theta)`` at the Poisson fit."""
        raw = obj.loss_scores(np.append(coef_poisson, 0.0))
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

    def _validate(self, X, offset=None, exposure=None):
        """Validated X (all columns) and the count part's offset (or None)."""
        check_is_fitted(self)
        X = validate_X(self, X, reset=False)
        return X, resolve_offset(offset, exposure, X.shape[0])

    def _count_raw(self, X, offset):
        """``log(mu)`` of the rows of the validated ``X`` with the offset ``offset`` (or None)."""
        Xc = take_columns(X, self.count_features_)
        raw = np.asarray(Xc @ self.count_coef_.astype(X.dtype, copy=False) + self.count_intercept_,
                         dtype=np.float64).ravel()
        return raw if offset is None else raw + offset

    def _zero_log_proba(self, X):
        """``(log P(y = 0), log P(y > 0))`` from the zero part, for the validated ``X``."""
        est, Xz = self.zero_estimator_, take_columns(X, self.zero_features_)
        if hasattr(est, "predict_log_proba"):
            logp = est.predict_log_proba(Xz)
        else:
            with np.errstate(divide="ignore"):
                logp = np.log(est.predict_proba(Xz))
        classes = np.asarray(est.classes_)
        return logp[:, np.flatnonzero(classes == 0)[0]], logp[:, np.flatnonzero(classes == 1)[0]]

    def predict(self, X, offset=None, exposure=None):
        """Expected count ``E[y | x] = P(y > 0) * mu / (1 - f(0; mu))``.

        {{X}}
        {{offset}}

        Returns
        -------
        ndarray of shape (n_samples,)
            The mean of the hurdle distribution (pscl's ``type = "response"``,
            statsmodels' ``which="mean"``).
        """
        X, off = self._validate(X, offset, exposure)
        # In log space: P(y > 0) may underflow to 0 where the truncated mean overflows.
        log_pos = self._zero_log_proba(X)[1]
        with np.errstate(over="ignore"):
            return np.exp(log_pos + self._count_loss().log_mean(self._count_raw(X, off)))

    def predict_zero_proba(self, X):
        """Probability of a zero count, ``P(y = 0 | x)``.

        {{X_returns}}
        ndarray of shape (n_samples,)
            ``1 - pi(z)`` from the zero part (statsmodels' ``which="prob-zero"``;
            pscl's ``predict(type = "prob")[, 1]``). The offset does not enter it.
        """
        X, _ = self._validate(X)
        est = self.zero_estimator_
        proba = est.predict_proba(take_columns(X, self.zero_features_))
        return proba[:, np.flatnonzero(np.asarray(est.classes_) == 0)[0]]

    def predict_count_mean(self, X, offset=None, exposure=None):
        """Mean of the untruncated count distribution, ``mu = exp(x @ count_coef_ + count_intercept_ + offset)``.

        {{X}}
        {{offset}}

        Returns
        -------
        ndarray of shape (n_samples,)
            ``mu`` (pscl's ``type = "count"``, statsmodels' ``which="mean-main"``).
        """
        X, off = self._validate(X, offset, exposure)
        with np.errstate(over="ignore"):
            return np.exp(self._count_raw(X, off))

    def predict_hurdle_ratio(self, X, offset=None, exposure=None):
        """Ratio ``P(y > 0) / (1 - f(0; mu))`` of the hurdle's and the count model's chance of a positive count.

        ``predict = predict_hurdle_ratio * predict_count_mean``; above 1 the
        hurdle makes positive counts more likely than the plain count model
        with the same ``mu`` does.

        {{X}}
        {{offset}}

        Returns
        -------
        ndarray of shape (n_samples,)
            The ratio (pscl's ``type = "zero"``).
        """
        X, off = self._validate(X, offset, exposure)
        raw = self._count_raw(X, off)
        log_count_pos = raw - self._count_loss().log_mean(raw)  # log(1 - f(0; mu)) = log(mu) - log(E[y | y > 0])
        with np.errstate(over="ignore"):
            return np.exp(self._zero_log_proba(X)[1] - log_count_pos)

    def predict_pmf(self, X, max_count, offset=None, exposure=None):
        """Probabilities ``P(y = k | x)`` for ``k = 0, ..., max_count``.

        {{X}}
        max_count : int
            Largest count; the rows sum to ``P(y <= max_count)``.
        {{offset}}

        Returns
        -------
        ndarray of shape (n_samples, max_count + 1)
            Column ``k`` is ``P(y = k | x)`` (pscl's ``type = "prob"``).
        """
        if not isinstance(max_count, Integral) or isinstance(max_count, bool) or max_count < 0:
            raise ValueError(f"max_count must be a non-negative integer; got {max_count!r}.")
        X, off = self._validate(X, offset, exposure)
        log_zero, log_pos = self._zero_log_proba(X)
        raw = self._count_raw(X, off)
        k = np.arange(1, max_count + 1, dtype=np.float64)
        log_trunc = -self._count_loss().loss(k[None, :], raw[:, None])
        pmf = np.empty((raw.shape[0], max_count + 1))
        pmf[:, 0] = np.exp(log_zero)
        pmf[:, 1:] = np.exp(log_pos[:, None] + log_trunc)
        return pmf

    def log_likelihood(self, X, y, offset=None, exposure=None):
        """Per-sample log-likelihood ``log P(y_i | x_i)`` of the hurdle model.

        Its sum over the training data is the model's log-likelihood as pscl's
        ``logLik`` reports it: the zero part's plus the truncated count part's.

        {{X}}
        y : array-like of shape (n_samples,)
            Non-negative integer counts.
        {{offset}}

        Returns
        -------
        ndarray of shape (n_samples,)
            ``log(1 - pi)`` for a zero, ``log(pi) + log f(y) - log(1 - f(0))``
            otherwise.
        """
        X, off = self._validate(X, offset, exposure)
        y = check_counts(np.ravel(y))
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}.")
        log_zero, log_pos = self._zero_log_proba(X)
        out = log_zero.astype(np.float64)
        pos = y > 0
        if np.any(pos):
            raw = self._count_raw(X[pos], None if off is None else off[pos])
            out[pos] = log_pos[pos] - self._count_loss().loss(y[pos], raw)
        return out

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination ``R^2`` of :meth:`predict` (the expected count).

        The scikit-learn default for regressors, used by model selection tools;
        without an offset. For the likelihood of the counts, sum
        :meth:`log_likelihood`.

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
