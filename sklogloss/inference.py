"""Standard errors, tests and intervals from the Fisher information of an unpenalised fit.

For a maximum-likelihood fit (``C=np.inf``) the Hessian of the negative
log-likelihood at the estimate is the observed Fisher information ``I`` (for
the logistic, softmax and zero-truncated Poisson losses it does not depend on
``y`` and is the expected information too). Its inverse is the classical
covariance of the estimate; the sandwich ``I^-1 J I^-1``, with ``J`` the sum of
the outer products of the per-observation (or per-cluster) scores, stays valid
when the model is misspecified.

The pieces come from the estimators' one objective factory:
``estimator._make_objective(X, y, sample_weight)`` rebuilds the objectives that
``fit`` minimised and ``estimator._objective_coef()`` gives the fitted
coefficients in their layout (weights, then intercept, per output). Without a
penalty an objective is ``f = sum_i s_i loss_i / S`` (``S = sum_i s_i``,
``objective.weight_sum``): the information is ``S`` times the objective's
Hessian, and the score of observation ``i`` is the loss's gradient with respect
to its raw scores times ``[x_i, 1]``.

For a :class:`~sklogloss.HurdleRegressor` there are R's pscl tests as well:
:func:`hurdle_test` (``hurdletest``, the Wald test of "no hurdle") and
:func:`vuong_test` (``vuong``, the hurdle against a non-nested plain count
model).

Sample weights are frequency weights, as everywhere in the package: an integer
weight is the same as repeating the row; class weights multiply the loss of
each observation. The small-sample factors count the observations as the sum
of the sample weights.
"""

from numbers import Real
from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy import stats
from sklearn.linear_model import PoissonRegressor
from sklearn.utils.validation import check_is_fitted

from .estimators import HurdleRegressor, LogisticClassifier, SoftmaxClassifier
from .estimators._base import is_separated, validate_X, warn_user
from .estimators._hurdle_features import take_columns
from .estimators._targets import check_counts, label_repr
from .losses import sigmoid
from .losses.counts import ZeroTruncatedNegativeBinomialLoss
from .objective import TruncatedNegBinObjective
from .utils.validation import check_sample_weight

__all__ = ["COV_TYPES", "InferenceSummary", "TestResult", "VuongResult", "hurdle_test", "likelihood_ratio_test",
           "predict_proba_interval", "summary", "vuong_test", "wald_test"]

#: The covariance types of :func:`summary`.
COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")

_COV_DESCRIPTIONS = {
    "nonrobust": "inverse Fisher information",
    "HC0": "sandwich (HC0)",
    "HC1": "sandwich (HC1: HC0 times n / (n - k))",
    "cluster": "cluster-robust sandwich (CRV1: times G / (G - 1) * (n - 1) / (n - k))",
}

#: Smallest eigenvalue of the information's correlation form (unit diagonal) taken as non-singular.
_RCOND = 1e-10


# ------------------------------------------------------------------ helpers
def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number in (0, 1) (0.05 for 95% intervals); got {alpha!r}.")
    return float(alpha)


def _dense(M):
    return M.toarray() if sp.issparse(M) else np.asarray(M)


def _scale_rows(U, w):
    return sp.diags(w) @ U if sp.issparse(U) else U * w[:, None]


def _hstack(blocks):
    if any(sp.issparse(b) for b in blocks):
        return sp.hstack([sp.csr_matrix(b) for b in blocks], format="csr")
    return np.hstack(blocks)


def _with_intercept(X, fit_intercept):
    """``[X, 1]`` (CSR stays CSR) in float64."""
    X = X.astype(np.float64) if X.dtype != np.float64 else X
    if not fit_intercept:
        return X
    return _hstack([X, np.ones((X.shape[0], 1))])


def _scores(Xd, G):
    """Per-observation scores ``G[:, k] * [x_i, 1]`` of each output ``k``, side by side."""
    return _hstack([_scale_rows(Xd, G[:, k]) for k in range(G.shape[1])])


def _feature_names(estimator, n_features):
    names = getattr(estimator, "feature_names_in_", None)
    return [f"x{j}" for j in range(n_features)] if names is None else [str(name) for name in names]


def _dof_names(features, fit_intercept):
    return list(features) + (["intercept"] if fit_intercept else [])


def _information_inverse(H, names):
    """Inverse of the information ``H``; a ValueError naming the unidentified coefficients if singular."""
    d = np.diag(H)
    flat = [name for name, v in zip(names, d) if not v > 0]
    if flat:
        raise ValueError(
            f"The Fisher information is singular: the likelihood does not depend on {', '.join(flat)} (a column "
            "of zeros, or a feature constant where it is used). Remove these columns and refit.")
    scale = 1.0 / np.sqrt(d)
    w, Q = np.linalg.eigh(H * scale[:, None] * scale[None, :])
    if not w[0] > _RCOND * w[-1]:
        v = np.abs(Q[:, 0])
        involved = [name for name, vi in zip(names, v) if vi > 0.1 * v.max()]
        raise ValueError(
            f"The Fisher information is singular (smallest eigenvalue of its correlation form {w[0]:.2g}): "
            f"{', '.join(involved)} are not identified. Remove collinear columns (a duplicate column, a "
            "constant column besides the intercept, every category of a one-hot encoding with the "
            "intercept) and refit; with (quasi-)separated data the maximum-likelihood estimate does not exist.")
    return (Q / w) @ Q.T * scale[:, None] * scale[None, :]


# -------------------------------------------------------------------- parts
class _Part:
    """A block of parameters with a likelihood of its own (a hurdle has two).

    ``info`` is the information (Hessian of the negative log-likelihood sum);
    ``scores`` the unweighted per-observation scores ``(len(rows), k)`` of the
    sample's rows ``rows`` and ``weight`` their weights in the objective
    (sample weights times class weights).
    """

    def __init__(self, names, coef, loglik, info, scores, rows, weight):
        self.names, self.coef, self.loglik = list(names), np.asarray(coef, dtype=np.float64), float(loglik)
        self.info, self.scores, self.rows, self.weight = info, scores, rows, weight


def _refuse_penalised(estimator):
    if not np.isinf(estimator.C):
        raise ValueError(
            f"{type(estimator).__name__} was fitted with C={estimator.C!r}. Standard errors of a penalised fit "
            "describe a biased estimate and its intervals do not cover the coefficients; refit with C=np.inf "
            "(the maximum-likelihood fit) for inference.")


def _check_classifier(estimator):
    name = type(estimator).__name__
    _refuse_penalised(estimator)
    if estimator.loss != "log":
        raise ValueError(f"{name} was fitted with loss={estimator.loss!r}, which is not a log-likelihood; "
                         "refit with loss='log' for inference.")
    if estimator.label_smoothing != 0:
        raise ValueError(f"{name} was fitted with label_smoothing={estimator.label_smoothing!r}, which shrinks "
                         "the coefficients as a penalty does; refit with label_smoothing=0 for inference.")
    if getattr(estimator, "adversarial_epsilon", 0) > 0:
        raise ValueError(f"{name} was fitted with adversarial_epsilon > 0, a worst-case loss and not a "
                         "log-likelihood; refit with adversarial_epsilon=0 for inference.")


def _stationary(objective, coef, tol, what):
    """Gradient and Hessian of ``objective`` at ``coef``; a ValueError unless ``coef`` is its minimiser."""
    grad, hessian = objective.gradient_hessian(coef)
    limit = max(100.0 * tol, 1e-5)
    worst = float(np.max(np.abs(grad)))
    if not worst <= limit:
        raise ValueError(
            f"The fitted coefficients{what} do not maximise the likelihood of the data given (max|gradient| "
            f"of the objective = {worst:.3g} > {limit:.3g}): pass the X, y and sample_weight the model was "
            "fitted on, or refit with a smaller tol or a larger max_iter.")
    return hessian


def _check_not_separated(objective, coef, what):
    y = objective.y
    hard = np.all((y == 0) | (y == 1)) if y.ndim == 1 else np.all(np.count_nonzero(y, axis=1) <= 1)
    if hard and is_separated(objective, coef):
        raise ValueError(
            f"The data are perfectly separated{what}: the maximum-likelihood estimate does not exist and the "
            "Fisher information vanishes. Remove the separating features, or fit a penalised model (which "
            "has no standard errors here).")


def _classifier_part(estimator, X, y, sample_weight, Xd, features, prefix="", what=""):
    """A binary LogisticClassifier (the log-odds of ``classes_[1]``) or a SoftmaxClassifier.

    The softmax is reported in the reference-class gauge, ``theta_k - theta_0``
    for ``k >= 1``: the likelihood depends on the differences of the scores
    only, so its information and scores in those coordinates are those in
    ``theta_1, ...`` with ``theta_0`` held fixed (the rows and columns of
    class 0 dropped).
    """
    _check_classifier(estimator)
    objectives = estimator._make_objective(X, y, sample_weight)
    if len(objectives) != 1:
        raise ValueError(f"This LogisticClassifier has {len(objectives)} binary problems (one-vs-rest or "
                         "multilabel); inference supports a binary LogisticClassifier. For several classes "
                         "use SoftmaxClassifier.")
    obj, coef = objectives[0], estimator._objective_coef()[0]
    hessian = _stationary(obj, coef, estimator.tol, what)
    _check_not_separated(obj, coef, what)
    G = obj.loss_fn.gradient(obj.y, obj.linear_predictor(coef, exact=True))
    dof = _dof_names(features, obj.fit_intercept)
    S, m = obj.weight_sum, obj.n_dof
    if G.ndim == 1:
        names, beta, info, G = [prefix + n for n in dof], coef, S * hessian, G[:, None]
    else:
        theta = coef.reshape(obj.n_outputs, m)
        beta, info, G = (theta[1:] - theta[0]).ravel(), S * hessian[m:, m:], G[:, 1:]
        names = [f"class {label_repr(c)}: {n}" for c in estimator.classes_[1:] for n in dof]
    return _Part(names, beta, -S * obj.loss(coef), info, _scores(Xd, G), np.arange(obj.n_samples),
                 obj.sample_weight)


def _count_part(hurdle, obj, Xd, pos, features):
    """The hurdle's truncated count part (``obj``, on the positive counts ``pos``).

    Rows ``count_...`` and, for the negative binomial, ``count_log(theta)``.
    """
    coef = hurdle._objective_coef()
    hessian = _stationary(obj, coef, hurdle.tol, " (count part)")
    negbin = isinstance(obj, TruncatedNegBinObjective)
    base = obj.base if negbin else obj
    if np.all(obj.y[base.sample_weight > 0] == 1):
        raise ValueError("Every positive count is 1: the count part's maximum-likelihood estimate does not "
                         "exist (mu -> 0) and its information vanishes. Make inferences on the zero part alone "
                         "(a LogisticClassifier of y > 0).")
    raw = obj.loss_scores(coef, exact=True)  # log(mu), the offset included
    names = ["count_" + n for n in _dof_names(features, base.fit_intercept)]
    if negbin:
        loss = ZeroTruncatedNegativeBinomialLoss(theta=float(np.exp(coef[-1])))
        _, g_raw, g_theta = loss.loss_gradient_log_theta(obj.y, raw)
        V = _hstack([_scores(Xd[pos], g_raw[:, None]), g_theta[:, None]])
        names.append("count_log(theta)")
    else:
        V = _scores(Xd[pos], obj.loss_fn.gradient(obj.y, raw)[:, None])
    return _Part(names, coef, -obj.weight_sum * obj.loss(coef), obj.weight_sum * hessian, V,
                 np.flatnonzero(pos), base.sample_weight)


def _model(estimator, X, y, sample_weight, offset=None, exposure=None):
    """``(kind, parts, freq, description)`` of a fitted model on ``(X, y)``; ValueError if unsupported."""
    if isinstance(estimator, HurdleRegressor):
        kind = "hurdle"
    elif isinstance(estimator, SoftmaxClassifier):
        kind = "softmax"
    elif isinstance(estimator, LogisticClassifier):
        kind = "binary"
    else:
        raise ValueError(
            f"Inference supports LogisticClassifier (binary), SoftmaxClassifier and HurdleRegressor; got "
            f"{type(estimator).__name__} (for a Pipeline, pass its last step and the transformed data: "
            "pipe[-1], pipe[:-1].transform(X)).")
    check_is_fitted(estimator)
    if kind != "hurdle" and (offset is not None or exposure is not None):
        raise ValueError(f"offset and exposure are the count part's of a HurdleRegressor; "
                         f"{type(estimator).__name__} has none. Drop them.")
    if kind == "hurdle":
        _refuse_penalised(estimator)
        zero = estimator.zero_estimator_
        if type(zero) is not LogisticClassifier:
            raise ValueError(f"The hurdle's zero part is a {type(zero).__name__}; inference supports the default "
                             "zero part (zero_estimator=None, a LogisticClassifier).")
        # validates X (names included), y, weights and the offset
        count_obj = estimator._make_objective(X, y, sample_weight, offset=offset, exposure=exposure)
        Xa = validate_X(estimator, X, reset=False)
        features = _feature_names(estimator, Xa.shape[1])
        zf, cf = estimator.zero_features_, estimator.count_features_
        Xz, Xc = take_columns(Xa, zf), take_columns(Xa, cf)
        pos = np.asarray(y, dtype=np.float64).ravel() > 0
        # The default zero part's fit_intercept is the hurdle's.
        zero_part = _classifier_part(zero, Xz, pos.astype(np.int64), sample_weight,
                                     _with_intercept(Xz, estimator.fit_intercept), [features[j] for j in zf],
                                     prefix="zero_", what=" (zero part)")
        count_part = _count_part(estimator, count_obj, _with_intercept(Xc, estimator.fit_intercept), pos,
                                 [features[j] for j in cf])
        parts = [zero_part, count_part]
        description = (f"HurdleRegressor ({estimator.count_distribution}): zero part logit P(y > 0), "
                       "count part log(mu)")
    else:
        # _make_objective (inside) validates X, y and the weights as fit does, names included.
        Xa = validate_X(estimator, X, reset=False)
        part = _classifier_part(estimator, X, y, sample_weight, _with_intercept(Xa, estimator.fit_intercept),
                                _feature_names(estimator, Xa.shape[1]))
        parts = [part]
        classes = estimator.classes_
        description = (f"LogisticClassifier: log-odds of class {label_repr(classes[1])}" if kind == "binary" else
                       f"SoftmaxClassifier: log-odds against the reference class {label_repr(classes[0])}")
    return kind, parts, check_sample_weight(sample_weight, Xa.shape[0]), description


def _group_codes(groups, n, cov_type):
    if cov_type != "cluster":
        if groups is not None:
            raise ValueError(f"groups are used by cov_type='cluster' only; got cov_type={cov_type!r} with groups. "
                             "Pass cov_type='cluster' or drop groups.")
        return None
    if groups is None:
        raise ValueError("cov_type='cluster' needs groups: one cluster label per sample.")
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n:
        raise ValueError(f"groups must have one label per sample, shape ({n},); got shape {groups.shape}.")
    return np.unique(groups, return_inverse=True)[1].ravel()


def _covariance(parts, cov_type, freq, codes):
    """The covariance of all parts' coefficients and the number of clusters (or None).

    The bread is block diagonal (the parts' likelihoods are separate); the
    meat is the joint one, so a hurdle's cross block is the estimated
    covariance of its two parts. Each part's small-sample factor is the one
    that part has alone; a cross block has the geometric mean of its two.
    """
    bread = scipy.linalg.block_diag(*[_information_inverse(p.info, p.names) for p in parts])
    if cov_type == "nonrobust":
        return bread, None
    n = freq.size
    blocks, factors, n_groups = [], [], None
    for part in parts:
        k, f = len(part.names), freq[part.rows]
        if cov_type == "cluster":  # cluster sums of the weighted scores
            w = part.weight
        else:  # sum_i f_i (w_i / f_i)^2 u_i u_i^T: frequency weights f_i, objective weights w_i
            w = np.divide(part.weight, np.sqrt(f), out=np.zeros_like(f), where=f > 0)
        W = _scale_rows(part.scores, w)
        if part.rows.size != n:  # a part on a subset of the rows (the count part)
            W = sp.csr_matrix((np.ones(part.rows.size), (part.rows, np.arange(part.rows.size))),
                              shape=(n, part.rows.size)) @ W
        blocks.append(W)
        n_obs = float(f.sum())
        if n_obs <= k and cov_type != "HC0":
            raise ValueError(f"{cov_type} needs more observations than coefficients; this part has {n_obs:g} "
                             f"observations for {k} coefficients.")
        if cov_type == "HC1":
            factors.append(n_obs / (n_obs - k))
        elif cov_type == "cluster":
            G = np.unique(codes[part.rows][f > 0]).size
            if G < 2:
                raise ValueError(f"cov_type='cluster' needs at least 2 clusters; got {G}.")
            factors.append(G / (G - 1.0) * (n_obs - 1.0) / (n_obs - k))
        else:
            factors.append(1.0)
    W = _hstack(blocks)
    if cov_type == "cluster":
        n_groups = int(np.unique(codes[freq > 0]).size)
        W = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(codes.max() + 1, n)) @ W
    meat = _dense(W.T @ W)
    c = np.sqrt(np.concatenate([np.full(len(p.names), f) for p, f in zip(parts, factors)]))
    cov = bread @ meat @ bread * c[:, None] * c[None, :]
    return (cov + cov.T) / 2, n_groups


# ------------------------------------------------------------------ summary
class InferenceSummary:
    """Coefficients with standard errors, z statistics, p-values and confidence intervals.

    Usually built by :func:`summary`; any coefficients with a covariance make one.

    Parameters
    ----------
    names : sequence of str
        Coefficient names.
    coef : array-like of shape (k,)
        Estimates.
    cov : array-like of shape (k, k)
        Their covariance.
    cov_type : str, default="nonrobust"
        How ``cov`` was estimated (one of :data:`COV_TYPES`, or any label).
    alpha : float, default=0.05
        The intervals are ``1 - alpha`` confidence intervals.
    model : str, default=""
        A one-line description of the model, shown by ``str``.
    n_obs : float, default=None
        Number of observations (the sum of the sample weights).
    n_groups : int, default=None
        Number of clusters (``cov_type="cluster"``).
    log_likelihood : float, default=None
        The maximised log-likelihood.
    theta, theta_std_err : float, default=None
        The negative binomial hurdle's ``theta`` and its standard error.

    Attributes
    ----------
    names : list of str
        Coefficient names, one per row of the table.
    coef, std_err, z, p_value, ci_low, ci_high : ndarray of shape (k,)
        Estimates, standard errors ``sqrt(diag(cov))``, ``coef / std_err``,
        two-sided normal p-values, and the bounds ``coef -+ z_{1 - alpha/2}
        std_err``.
    cov : ndarray of shape (k, k)
        Covariance of ``coef``.
    cov_type : str
        How ``cov`` was estimated.
    alpha : float
        The intervals' level is ``1 - alpha``.
    model, n_obs, n_groups, log_likelihood, theta, theta_std_err
        As given (``None`` when not).

    Examples
    --------
    >>> from sklogloss.inference import InferenceSummary
    >>> s = InferenceSummary(["a", "b"], [1.0, -0.5], [[0.25, 0.0], [0.0, 0.04]])
    >>> s.std_err, s.z
    (array([0.5, 0.2]), array([ 2. , -2.5]))
    >>> s.ci_low.round(3), s.ci_high.round(3)
    (array([ 0.02 , -0.892]), array([ 1.98 , -0.108]))
    >>> print(s)  # doctest: +NORMALIZE_WHITESPACE
    covariance: inverse Fisher information
                coef    std err          z      P>|z|     [0.025     0.975]
    a         1.0000     0.5000      2.000     0.0455     0.0200     1.9800
    b        -0.5000     0.2000     -2.500     0.0124    -0.8920    -0.1080
    """

    def __init__(self, names, coef, cov, cov_type="nonrobust", alpha=0.05, *, model="", n_obs=None, n_groups=None,
                 log_likelihood=None, theta=None, theta_std_err=None):
        self.names = [str(name) for name in names]
        self.coef = np.asarray(coef, dtype=np.float64).ravel()
        self.cov = np.asarray(cov, dtype=np.float64)
        k = self.coef.size
        if len(self.names) != k or self.cov.shape != (k, k):
            raise ValueError(f"names ({len(self.names)}), coef ({k}) and cov {self.cov.shape} do not match.")
        self.cov_type = cov_type
        self.alpha = _check_alpha(alpha)
        self.model, self.n_obs, self.n_groups, self.log_likelihood = model, n_obs, n_groups, log_likelihood
        self.theta, self.theta_std_err = theta, theta_std_err
        self.std_err = np.sqrt(np.diag(self.cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.z = self.coef / self.std_err
        self.p_value = 2.0 * stats.norm.sf(np.abs(self.z))
        q = stats.norm.ppf(1.0 - self.alpha / 2.0)
        self.ci_low = self.coef - q * self.std_err
        self.ci_high = self.coef + q * self.std_err
        # (estimator, coefficient slice, fit_intercept, columns of X or None) for predict_proba_interval
        self._binary = None

    def __repr__(self):
        return f"<InferenceSummary: {self.coef.size} coefficients, cov_type={self.cov_type!r}>"

    def __str__(self):
        def num(v):
            return f"{v:10.4f}" if v == 0 or 1e-3 <= abs(v) < 1e6 else f"{v:10.3e}"

        lines = [self.model] if self.model else []
        info = []
        if self.n_obs is not None:
            info.append(f"observations: {self.n_obs:g}")
        if self.n_groups is not None:
            info.append(f"clusters: {self.n_groups}")
        if self.log_likelihood is not None:
            info.append(f"log-likelihood: {self.log_likelihood:.6g}")
        if info:
            lines.append("   ".join(info))
        lines.append(f"covariance: {_COV_DESCRIPTIONS.get(self.cov_type, self.cov_type)}")
        width = max(9, *(len(name) for name in self.names))
        lo, hi = f"[{self.alpha / 2:.3g}", f"{1 - self.alpha / 2:.3g}]"
        lines.append(f"{'':{width}} {'coef':>10} {'std err':>10} {'z':>10} {'P>|z|':>10} {lo:>10} {hi:>10}")
        for j, name in enumerate(self.names):
            p = self.p_value[j]
            p_text = f"{p:10.4f}" if p >= 1e-4 or np.isnan(p) else f"{'<0.0001':>10}"
            lines.append(f"{name:{width}} {num(self.coef[j])} {num(self.std_err[j])} {self.z[j]:10.3f} {p_text} "
                         f"{num(self.ci_low[j])} {num(self.ci_high[j])}")
        if self.theta is not None:
            lines.append(f"theta = exp(count_log(theta)) = {self.theta:.6g}, std err {self.theta_std_err:.4g} "
                         "(delta method)")
        return "\n".join(lines)

    def to_frame(self):
        """The table as a pandas DataFrame, one row per coefficient.

        Returns
        -------
        pandas.DataFrame
            Columns ``coef``, ``std_err``, ``z``, ``p_value``, ``ci_low``,
            ``ci_high``; the index is :attr:`names`.

        Examples
        --------
        >>> from sklogloss.inference import InferenceSummary
        >>> InferenceSummary(["a"], [1.0], [[0.25]]).to_frame().round(3)
           coef  std_err    z  p_value  ci_low  ci_high
        a   1.0      0.5  2.0    0.046    0.02     1.98
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is installed where the tests run
            raise ImportError("InferenceSummary.to_frame needs pandas (pip install pandas); without it use the "
                              "arrays coef, std_err, z, p_value, ci_low and ci_high.") from exc
        return pd.DataFrame({"coef": self.coef, "std_err": self.std_err, "z": self.z, "p_value": self.p_value,
                             "ci_low": self.ci_low, "ci_high": self.ci_high}, index=self.names)


def summary(estimator, X, y, sample_weight=None, cov_type="nonrobust", groups=None, alpha=0.05, *, offset=None,
            exposure=None):
    """Standard errors of a fitted model's coefficients from its Fisher information.

    Parameters
    ----------
    estimator : LogisticClassifier, SoftmaxClassifier or HurdleRegressor
        Fitted with ``C=np.inf`` (the maximum-likelihood fit) and the log loss:
        a binary :class:`~sklogloss.LogisticClassifier`, a
        :class:`~sklogloss.SoftmaxClassifier`, or a
        :class:`~sklogloss.HurdleRegressor` with its default zero part.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training data.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        The training targets.
    sample_weight : array-like of shape (n_samples,), default=None
        The training sample weights (frequency weights).
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}, default="nonrobust"
        ``"nonrobust"``: the inverse Fisher information ``I^-1``.
        ``"HC0"``: the sandwich ``I^-1 J I^-1`` with ``J = sum_i s_i u_i
        u_i^T`` over the observations' scores ``u_i``. ``"HC1"``: HC0 times
        ``n / (n - k)``. ``"cluster"``: ``J`` from the scores summed over each
        cluster of ``groups``, times ``G / (G - 1) * (n - 1) / (n - k)``
        (statsmodels' CRV1 default). ``n`` is the sum of the sample weights,
        ``k`` the number of coefficients, ``G`` the number of clusters (of
        each part of a hurdle, see Notes).
    groups : array-like of shape (n_samples,), default=None
        Cluster labels, for ``cov_type="cluster"`` only.
    alpha : float, default=0.05
        The intervals are ``1 - alpha`` confidence intervals.
    offset, exposure : array-like of shape (n_samples,), default=None
        A HurdleRegressor's count-part offset (or exposure) of the fit.

    Returns
    -------
    InferenceSummary
        ``names``, ``coef``, ``std_err``, ``z``, ``p_value``, ``ci_low``,
        ``ci_high``, ``cov``, ``cov_type``, ``alpha``; ``str()`` prints the
        table, ``to_frame()`` returns it as a DataFrame.

    Raises
    ------
    ValueError
        For a penalised fit (finite ``C``: refit with ``C=np.inf``), the focal
        loss, label smoothing or adversarial training; a one-vs-rest or
        multilabel LogisticClassifier or another estimator; coefficients that
        are not the maximum on ``(X, y, sample_weight)``; a singular Fisher
        information (collinear columns, separated data); bad ``groups``.

    Notes
    -----
    Rows are named after ``feature_names_in_`` (else ``x0, x1, ...``) and
    ``intercept``, in the objective's layout: weights, then intercept.

    * Binary: the log-odds of ``classes_[1]``.
    * Softmax: the reference-class gauge, statsmodels' ``MNLogit``: rows
      ``class c: x0`` for ``c`` in ``classes_[1:]``, the coefficients of class
      ``c`` minus those of ``classes_[0]`` (``coef_`` is centred across
      classes; its differences are what the data identify).
    * Hurdle: ``zero_...`` (the logit of ``P(y > 0)``, a row per column of
      ``zero_features_``), then ``count_...`` (``log(mu)``, a row per column
      of ``count_features_``) and, for the negative binomial, ``count_log(theta)``;
      ``theta`` and its delta-method standard error ``theta * se(log(theta))``
      are attributes of the result. The parts' likelihoods are separate: the
      ``"nonrobust"`` covariance is block diagonal, and each part's block of
      every covariance type is the one that part has alone (its own ``n``,
      ``k`` and ``G``: the count part's are those of the positive counts); the
      sandwich's cross block is the joint estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.inference import summary
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> y = (rng.random(500) < 1 / (1 + np.exp(-(0.5 + X[:, 0])))).astype(int)
    >>> clf = LogisticClassifier(C=np.inf, tol=1e-10).fit(X, y)
    >>> s = summary(clf, X, y)
    >>> s.names
    ['x0', 'x1', 'intercept']
    >>> s.coef.round(3), s.std_err.round(3)
    (array([0.862, 0.033, 0.464]), array([0.114, 0.1  , 0.1  ]))
    >>> print(s)
    LogisticClassifier: log-odds of class 1
    observations: 500   log-likelihood: -304.411
    covariance: inverse Fisher information
                    coef    std err          z      P>|z|     [0.025     0.975]
    x0            0.8618     0.1143      7.538    <0.0001     0.6377     1.0859
    x1            0.0327     0.0999      0.327     0.7436    -0.1632     0.2285
    intercept     0.4636     0.0998      4.646    <0.0001     0.2680     0.6591

    Heteroscedasticity- and cluster-robust standard errors:

    >>> summary(clf, X, y, cov_type="HC1").std_err.round(3)
    array([0.108, 0.102, 0.1  ])
    >>> s = summary(clf, X, y, cov_type="cluster", groups=np.arange(500) % 20)
    >>> s.n_groups, s.std_err.round(3)
    (20, array([0.115, 0.133, 0.131]))
    """
    if cov_type not in COV_TYPES:
        raise ValueError(f"cov_type must be one of {COV_TYPES}; got {cov_type!r}.")
    alpha = _check_alpha(alpha)
    kind, parts, freq, description = _model(estimator, X, y, sample_weight, offset, exposure)
    codes = _group_codes(groups, freq.size, cov_type)
    cov, n_groups = _covariance(parts, cov_type, freq, codes)
    names = [name for part in parts for name in part.names]
    coef = np.concatenate([part.coef for part in parts])
    theta = theta_se = None
    if names[-1] == "count_log(theta)":
        theta = float(np.exp(coef[-1]))
        theta_se = theta * float(np.sqrt(cov[-1, -1]))
    result = InferenceSummary(names, coef, cov, cov_type, alpha, model=description, n_obs=float(freq.sum()),
                              n_groups=n_groups, log_likelihood=sum(part.loglik for part in parts),
                              theta=theta, theta_std_err=theta_se)
    if kind == "binary" or (kind == "softmax" and len(estimator.classes_) == 2):
        result._binary = (estimator, slice(0, coef.size), estimator.fit_intercept, None)
    elif kind == "hurdle":
        result._binary = (estimator, slice(0, len(parts[0].names)), estimator.zero_estimator_.fit_intercept,
                          estimator.zero_features_)
    return result


# -------------------------------------------------------------------- tests
class TestResult(NamedTuple):
    """A chi-square test: its statistic, degrees of freedom and p-value.

    Examples
    --------
    >>> from sklogloss.inference import TestResult
    >>> t = TestResult(statistic=3.84, df=1, p_value=0.05)
    >>> t.p_value
    0.05
    >>> statistic, df, p_value = t
    """

    __test__ = False  # not a pytest test class

    statistic: float
    df: int
    p_value: float


def wald_test(summary, R, q=None):
    """Wald test of the linear hypothesis ``R @ coef = q``.

    The statistic ``(R b - q)^T (R V R^T)^-1 (R b - q)`` is chi-square with
    ``df = R.shape[0]`` degrees of freedom under the hypothesis, with ``V``
    the summary's covariance (of its ``cov_type``).

    Parameters
    ----------
    summary : InferenceSummary
        From :func:`summary`.
    R : array-like of shape (r, k) or (k,), or sequence of str
        The restrictions, one row each over the summary's coefficients; a
        sequence of names tests that those coefficients are ``q``.
    q : array-like of shape (r,), default=None
        The right-hand side; ``None`` means zeros.

    Returns
    -------
    TestResult
        ``statistic``, ``df``, ``p_value``.

    Examples
    --------
    >>> from sklogloss.inference import InferenceSummary, wald_test
    >>> s = InferenceSummary(["a", "b"], [1.0, -0.5], [[0.25, 0.0], [0.0, 0.04]])
    >>> t = wald_test(s, ["a"])  # a = 0: (1 / 0.5)**2
    >>> t.statistic, t.df, round(t.p_value, 4)
    (4.0, 1, 0.0455)
    >>> round(wald_test(s, [[1.0, 0.0], [0.0, 1.0]]).statistic, 6)  # 4 + 6.25
    10.25
    """
    k = summary.coef.size
    if isinstance(R, str):
        R = [R]
    if len(R) and all(isinstance(r, str) for r in R):
        unknown = [r for r in R if r not in summary.names]
        if unknown:
            raise ValueError(f"Unknown coefficient names {unknown}; the names are {summary.names}.")
        R = np.eye(k)[[summary.names.index(r) for r in R]]
    R = np.atleast_2d(np.asarray(R, dtype=np.float64))
    if R.ndim != 2 or R.shape[1] != k:
        raise ValueError(f"R must have one column per coefficient ({k}); got shape {R.shape}.")
    q = np.zeros(R.shape[0]) if q is None else np.atleast_1d(np.asarray(q, dtype=np.float64))
    if q.shape != (R.shape[0],):
        raise ValueError(f"q must have one entry per row of R ({R.shape[0]}); got shape {q.shape}.")
    d = R @ summary.coef - q
    VR = R @ summary.cov @ R.T
    if np.linalg.matrix_rank(VR) < R.shape[0]:
        raise ValueError("R @ cov @ R.T is singular: the rows of R are linearly dependent; drop the redundant "
                         "restrictions.")
    statistic = float(d @ np.linalg.solve(VR, d))
    df = int(R.shape[0])
    return TestResult(statistic, df, float(stats.chi2.sf(statistic, df)))


def hurdle_test(estimator, X, y, sample_weight=None, cov_type="nonrobust", groups=None):
    """Wald test that no hurdle is needed: the zero part's coefficients equal the count part's.

    R's ``pscl::hurdletest``. When the zero hurdle is the binary model of
    ``y > 0`` that the count distribution itself implies, with the same
    regressors, equal coefficients in the two parts make the hurdle model the
    plain count model; the Wald statistic of the ``k`` restrictions
    ``zero_j = count_j`` (every weight and the intercept) is chi-square with
    ``k`` degrees of freedom under that hypothesis. pscl requires
    ``zero.dist == dist`` for this reason.

    Our zero part is a logit. For a geometric count part that is exactly the
    count model's own zero hurdle: ``P(y > 0) = 1 - 1 / (1 + mu) = mu / (1 +
    mu)``, the logistic function of ``log(mu)`` (pscl: the geometric and the
    logit zero hurdles are the same model). So the test is defined for
    ``count_distribution="geometric"`` and equals pscl's ``hurdletest`` of
    ``hurdle(y ~ x, dist = "geometric", zero.dist = "geometric")``. For a
    Poisson count part the no-hurdle zero model is the complementary log-log
    of ``log(mu)``, for the negative binomial one that depends on ``theta``:
    equal logit and ``log(mu)`` coefficients do not mean "no hurdle", and the
    test refuses these models (compare them with the plain count model by
    :func:`vuong_test` instead). It also refuses a fit with an offset: the
    zero part has none, so its coefficients cannot equal the count part's
    under the hypothesis.

    Parameters
    ----------
    estimator : HurdleRegressor
        Fitted with ``count_distribution="geometric"``, ``C=np.inf``, the
        default zero part and the same columns for both parts
        (``zero_features_`` equal to ``count_features_``).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training data.
    y : array-like of shape (n_samples,)
        The training counts.
    sample_weight : array-like of shape (n_samples,), default=None
        The training sample weights.
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}, default="nonrobust"
        The covariance of the coefficients, as in :func:`summary` (pscl's
        ``hurdletest(fm, vcov = sandwich)`` is ``"HC0"``).
    groups : array-like of shape (n_samples,), default=None
        Cluster labels, for ``cov_type="cluster"``.

    Returns
    -------
    TestResult
        ``statistic`` (chi-square), ``df`` (the number of coefficients of
        each part) and ``p_value``; a small p-value says the zeros need a
        hurdle.

    Raises
    ------
    ValueError
        For another estimator or count distribution, different columns in the
        two parts, a fit with an offset, and whatever :func:`summary` refuses.

    See Also
    --------
    wald_test : the general linear hypothesis on a :func:`summary`.

    Examples
    --------
    Counts from a plain geometric regression (no hurdle), then with one:

    >>> import numpy as np
    >>> from sklogloss import HurdleRegressor
    >>> from sklogloss.inference import hurdle_test
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> mu = np.exp(0.5 + X @ [0.4, -0.3])
    >>> y = rng.geometric(1 / (1 + mu)) - 1  # geometric counts from 0
    >>> model = HurdleRegressor(count_distribution="geometric").fit(X, y)
    >>> t = hurdle_test(model, X, y)
    >>> t.df, bool(t.p_value > 0.05)
    (3, True)
    >>> y_hurdle = np.where(rng.random(2000) < 0.3, 0, np.maximum(y, 1))
    >>> model = HurdleRegressor(count_distribution="geometric").fit(X, y_hurdle)
    >>> bool(hurdle_test(model, X, y_hurdle).p_value < 1e-6)
    True
    """
    if not isinstance(estimator, HurdleRegressor):
        raise ValueError(f"hurdle_test needs a fitted HurdleRegressor; got {type(estimator).__name__}.")
    check_is_fitted(estimator)
    if estimator.count_distribution != "geometric":
        raise ValueError(
            f"hurdle_test needs count_distribution='geometric'; got {estimator.count_distribution!r}. With a logit "
            "zero part, equal coefficients mean 'no hurdle' only when the count model's own P(y > 0) is a logit "
            "of log(mu), which holds for the geometric (mu / (1 + mu)) and not for the Poisson (1 - exp(-mu)) or "
            "the negative binomial. Refit with count_distribution='geometric', or compare the hurdle with the "
            "plain count model by vuong_test.")
    if not np.array_equal(estimator.zero_features_, estimator.count_features_):
        raise ValueError(
            f"hurdle_test needs the same columns in both parts; zero_features_ = {estimator.zero_features_.tolist()}"
            f" and count_features_ = {estimator.count_features_.tolist()}. Refit with zero_features=None and "
            "count_features=None (or equal selections).")
    if getattr(estimator, "_fitted_with_offset", False):
        raise ValueError(
            "The hurdle was fitted with an offset, which enters its count part only: without the offset in the zero "
            "part, equal coefficients are not the no-hurdle hypothesis. Refit without an offset for hurdle_test.")
    s = summary(estimator, X, y, sample_weight=sample_weight, cov_type=cov_type, groups=groups)
    k = s.coef.size // 2
    return wald_test(s, np.hstack([np.eye(k), -np.eye(k)]))


def likelihood_ratio_test(full_estimator, restricted_estimator, X_full, X_restricted, y, sample_weight=None):
    """Likelihood-ratio test of a restricted model nested in a full one.

    The statistic ``2 * (loglik_full - loglik_restricted)`` is chi-square with
    ``df`` the difference in the number of coefficients under the hypothesis
    that the restricted model is true. Both are fitted models of the same kind
    (as for :func:`summary`: maximum-likelihood fits) on the same ``y``; the
    restricted model's columns ``X_restricted`` must span a subspace of those
    of ``X_full`` (e.g. a subset of them), which is not checked.

    Parameters
    ----------
    full_estimator, restricted_estimator : estimator
        The two fitted models.
    X_full, X_restricted : {array-like, sparse matrix}
        Their training data.
    y : array-like
        The targets both were fitted on.
    sample_weight : array-like of shape (n_samples,), default=None
        The sample weights both were fitted with.

    Returns
    -------
    TestResult
        ``statistic``, ``df``, ``p_value``.

    Examples
    --------
    Two weights that do not matter (the labels depend on the first feature only):

    >>> import numpy as np
    >>> from sklogloss.inference import likelihood_ratio_test
    >>> from sklogloss import LogisticClassifier
    >>> X = np.random.default_rng(0).normal(size=(500, 3))
    >>> u = np.random.default_rng(1).random(500)
    >>> y = (u < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    >>> full = LogisticClassifier(C=np.inf).fit(X, y)
    >>> restricted = LogisticClassifier(C=np.inf).fit(X[:, :1], y)
    >>> t = likelihood_ratio_test(full, restricted, X, X[:, :1], y)
    >>> t.df, bool(t.p_value > 0.05)
    (2, True)
    """
    if type(full_estimator) is not type(restricted_estimator):
        raise ValueError(f"Both models must be of the same kind; got {type(full_estimator).__name__} and "
                         f"{type(restricted_estimator).__name__}.")
    classes = [getattr(est, "classes_", None) for est in (full_estimator, restricted_estimator)]
    if classes[0] is not None and classes[1] is not None and not np.array_equal(*classes):
        raise ValueError(f"The models have different classes, {classes[0]} and {classes[1]}: fit both on the same y.")
    models = [_model(est, X, y, sample_weight) for est, X in
              [(full_estimator, X_full), (restricted_estimator, X_restricted)]]
    (_, full, _, _), (_, restricted, _, _) = models
    k_full, k_restricted = (sum(len(p.names) for p in parts) for parts in (full, restricted))
    df = k_full - k_restricted
    if df <= 0:
        raise ValueError(f"The restricted model must have fewer coefficients than the full one; got {k_restricted} "
                         f"and {k_full}.")
    ll_full, ll_restricted = (sum(p.loglik for p in parts) for parts in (full, restricted))
    statistic = 2.0 * (ll_full - ll_restricted)
    if statistic < -1e-6 * max(1.0, abs(ll_full)):
        raise ValueError(f"The restricted model's log-likelihood ({ll_restricted:.6g}) exceeds the full model's "
                         f"({ll_full:.6g}): the models are not nested.")
    statistic = max(statistic, 0.0)
    return TestResult(statistic, int(df), float(stats.chi2.sf(statistic, df)))


class VuongResult(NamedTuple):
    """Vuong's test of two non-nested models: raw, AIC- and BIC-corrected statistics.

    Each statistic is asymptotically standard normal under the hypothesis
    that the models are equally close to the truth; a positive one favours
    ``model_a``. Each p-value is one-sided, in the direction of its
    statistic's sign (as pscl's ``vuong`` prints them). ``str()`` prints
    pscl's table.

    Examples
    --------
    >>> from sklogloss.inference import VuongResult
    >>> r = VuongResult(2.5, 0.0062, 1.9, 0.0287, -0.4, 0.3446, 100, (6, 3))
    >>> r.statistic_bic, r.n_params
    (-0.4, (6, 3))
    >>> print(r)  # doctest: +NORMALIZE_WHITESPACE
    Vuong non-nested hypothesis test (asymptotically N(0, 1) under the null that the models are indistinguishable)
                   Vuong z-statistic                H_A    p-value
    Raw                        2.500  model_a > model_b     0.0062
    AIC-corrected              1.900  model_a > model_b     0.0287
    BIC-corrected             -0.400  model_b > model_a     0.3446
    """

    statistic: float
    p_value: float
    statistic_aic: float
    p_value_aic: float
    statistic_bic: float
    p_value_bic: float
    n_obs: int
    n_params: tuple

    def __str__(self):
        lines = ["Vuong non-nested hypothesis test (asymptotically N(0, 1) under the null that the models are "
                 "indistinguishable)", f"{'':14} {'Vuong z-statistic':>17} {'H_A':>18} {'p-value':>10}"]
        for label, v, p in [("Raw", self.statistic, self.p_value), ("AIC-corrected", self.statistic_aic,
                            self.p_value_aic), ("BIC-corrected", self.statistic_bic, self.p_value_bic)]:
            ha = "model_a > model_b" if v > 0 else "model_b > model_a"
            p_text = f"{p:10.4f}" if p >= 1e-4 else f"{p:10.3g}"
            lines.append(f"{label:14} {v:17.3f} {ha:>18} {p_text}")
        return "\n".join(lines)


def _vuong_loglik(model, X, y, offset, exposure, n_params, which):
    """Per-sample log-likelihoods of ``model`` on ``(X, y)`` and its number of coefficients."""
    if isinstance(model, HurdleRegressor):
        check_is_fitted(model)
        ll = model.log_likelihood(X, y, offset=offset, exposure=exposure)
        if n_params is None:
            if model.zero_estimator is not None:
                raise ValueError(f"{which} has a custom zero estimator, whose number of coefficients is unknown here; "
                                 "pass n_params.")
            n_params = model.zero_features_.size + model.count_features_.size + 2 * model.fit_intercept
    elif isinstance(model, PoissonRegressor):
        check_is_fitted(model)
        ll = stats.poisson.logpmf(y, model.predict(X))
        if n_params is None:
            n_params = model.n_features_in_ + model.fit_intercept
    elif hasattr(model, "fit") or hasattr(model, "predict"):
        raise ValueError(f"{which} is a {type(model).__name__}; vuong_test takes a fitted HurdleRegressor, a fitted "
                         "sklearn.linear_model.PoissonRegressor, or the model's per-sample log-likelihoods (with "
                         "n_params), e.g. a statsmodels result's res.model.loglikeobs(res.params).")
    else:
        ll = np.asarray(model, dtype=np.float64)
        if ll.shape != y.shape:
            raise ValueError(f"{which}'s per-sample log-likelihoods must have one value per sample, shape {y.shape}; "
                             f"got shape {ll.shape}.")
        if n_params is None:
            raise ValueError(f"{which} is given as per-sample log-likelihoods: pass its number of coefficients in "
                             "n_params (as pscl counts them: the regression coefficients, not theta).")
    if isinstance(n_params, bool) or not isinstance(n_params, (int, np.integer)) or n_params < 0:
        raise ValueError(f"The number of coefficients of {which} must be a non-negative integer; got {n_params!r}.")
    return np.asarray(ll, dtype=np.float64), int(n_params)


def vuong_test(model_a, model_b, X, y, *, offset=None, exposure=None, n_params=None):
    """Vuong's test of two non-nested count models, e.g. a hurdle against the plain Poisson.

    R's ``pscl::vuong(m1, m2)``. With ``m_i = log p_a(y_i | x_i) - log
    p_b(y_i | x_i)`` the per-sample log-likelihood differences, ``n`` their
    number and ``s`` their standard deviation (``ddof=1``), the statistics
    are::

        raw = sum(m) / (s * sqrt(n))
        AIC-corrected: (sum(m) - (k_a - k_b)) / (s * sqrt(n))
        BIC-corrected: (sum(m) - (k_a - k_b) * log(n) / 2) / (s * sqrt(n))

    with ``k`` each model's number of coefficients; each is asymptotically
    standard normal when the models are equally close to the truth. A
    positive statistic favours ``model_a``; its p-value is ``P(Z > |v|)``,
    one-sided in the direction of the sign, as pscl prints it. A hurdle and
    the plain count model are not nested (no coefficients of the hurdle give
    the plain Poisson's zeros with a logit zero part), which is why this test
    and not a likelihood ratio is the comparison pscl users run. Samples whose
    difference is not finite (a probability of 0) are dropped with a warning,
    as pscl does.

    Parameters
    ----------
    model_a, model_b : HurdleRegressor, PoissonRegressor or array-like of shape (n_samples,)
        Each a fitted :class:`~sklogloss.HurdleRegressor`
        (:meth:`~sklogloss.HurdleRegressor.log_likelihood`; ``k`` = the
        coefficients and intercepts of both parts, ``theta`` not counted, as
        pscl's ``length(coef(m))``), a fitted
        :class:`sklearn.linear_model.PoissonRegressor` (the plain Poisson,
        R's ``glm(family = poisson)``: the Poisson log-probability of ``y`` at
        its ``predict``; ``k = n_features_in_ + fit_intercept``), or the
        per-sample log-likelihoods of any other model on ``(X, y)``, with its
        ``k`` in ``n_params`` (a statsmodels result ``res``:
        ``res.model.loglikeobs(res.params)``; for its negative binomial,
        ``k = len(res.params) - 1`` without the dispersion, as pscl counts
        ``MASS::glm.nb``).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The samples (passed to the fitted models).
    y : array-like of shape (n_samples,)
        The observed counts.
    offset, exposure : array-like of shape (n_samples,), default=None
        The count-part offset (or exposure) of the HurdleRegressor models.
    n_params : tuple of (int or None, int or None), default=None
        ``(k_a, k_b)``; ``None`` entries are taken from the models (required
        for log-likelihoods given as arrays and a hurdle with a custom zero
        estimator).

    Returns
    -------
    VuongResult
        ``statistic``, ``p_value`` (raw), ``statistic_aic``, ``p_value_aic``,
        ``statistic_bic``, ``p_value_bic``, ``n_obs`` and ``n_params``.

    Raises
    ------
    ValueError
        For other models, log-likelihoods of the wrong shape, missing or bad
        ``n_params``, counts that are not non-negative integers, and models
        that give the same log-likelihood to every sample.

    Examples
    --------
    Counts with extra zeros: the hurdle beats the plain Poisson.

    >>> import numpy as np
    >>> from sklearn.linear_model import PoissonRegressor
    >>> from sklogloss import HurdleRegressor
    >>> from sklogloss.inference import vuong_test
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 2))
    >>> y = np.where(rng.random(1000) < 0.4, 0, rng.poisson(np.exp(1 + 0.3 * X[:, 0])))
    >>> hurdle = HurdleRegressor().fit(X, y)
    >>> poisson = PoissonRegressor(alpha=0.0).fit(X, y)
    >>> result = vuong_test(hurdle, poisson, X, y)
    >>> result.n_params, bool(result.statistic > 3), bool(result.p_value_bic < 1e-3)
    ((6, 3), True, True)
    """
    y = check_counts(np.ravel(y)).astype(np.float64)
    if n_params is None:
        n_params = (None, None)
    if not isinstance(n_params, (tuple, list)) or len(n_params) != 2:
        raise ValueError(f"n_params must be a pair (k_a, k_b) (None entries from the models); got {n_params!r}.")
    ll_a, k_a = _vuong_loglik(model_a, X, y, offset, exposure, n_params[0], "model_a")
    ll_b, k_b = _vuong_loglik(model_b, X, y, offset, exposure, n_params[1], "model_b")
    with np.errstate(invalid="ignore"):
        m = ll_a - ll_b
    good = np.isfinite(m)
    if not np.all(good):
        warn_user(f"vuong_test: {int(np.sum(~good))} samples have a non-finite log-likelihood difference (a predicted "
                  "probability of 0); they are dropped, as pscl's vuong does.", UserWarning)
        m = m[good]
    n = int(m.size)
    if n < 2:
        raise ValueError(f"vuong_test needs at least 2 samples with finite log-likelihoods; got {n}.")
    s = float(np.std(m, ddof=1))
    if not s > 0:
        raise ValueError("The two models give every sample the same log-likelihood difference (its standard deviation "
                         "is 0): they cannot be told apart by Vuong's test (the same model twice?).")
    total, dk, scale = float(m.sum()), float(k_a - k_b), s * np.sqrt(n)
    v = [(total - c) / scale for c in (0.0, dk, dk * np.log(n) / 2.0)]
    p = [float(stats.norm.sf(abs(vj))) for vj in v]
    return VuongResult(float(v[0]), p[0], float(v[1]), p[1], float(v[2]), p[2], n, (k_a, k_b))


def predict_proba_interval(summary, X, alpha=None):
    """Probabilities with pointwise confidence intervals (delta method on the log-odds).

    For a binary model the log-odds ``eta = x^T b`` has the standard error
    ``sqrt(x^T V x)``; the interval of the probability is the sigmoid of
    ``eta -+ z_{1 - alpha/2} se(eta)``, which stays in ``(0, 1)``.

    Parameters
    ----------
    summary : InferenceSummary
        :func:`summary` of a binary LogisticClassifier, a two-class
        SoftmaxClassifier (the probability of ``classes_[1]``) or a
        HurdleRegressor (its zero part: ``P(y > 0)``).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Samples.
    alpha : float, default=None
        ``1 - alpha`` intervals; ``None`` means the summary's ``alpha``.

    Returns
    -------
    proba, low, high : ndarray of shape (n_samples,)
        The probability and the bounds of its interval.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.inference import predict_proba_interval, summary
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> y = (rng.random(500) < 1 / (1 + np.exp(-(0.5 + X[:, 0])))).astype(int)
    >>> clf = LogisticClassifier(C=np.inf).fit(X, y)
    >>> p, low, high = predict_proba_interval(summary(clf, X, y), [[0.0, 0.0], [2.0, 0.0]])
    >>> p.round(3), low.round(3), high.round(3)
    (array([0.614, 0.899]), array([0.567, 0.84 ]), array([0.659, 0.938]))
    """
    if not isinstance(summary, InferenceSummary) or summary._binary is None:
        raise ValueError("predict_proba_interval needs the summary(...) of a binary LogisticClassifier, a two-class "
                         "SoftmaxClassifier or a HurdleRegressor.")
    alpha = summary.alpha if alpha is None else _check_alpha(alpha)
    estimator, rows, fit_intercept, columns = summary._binary
    Xv = validate_X(estimator, X, reset=False)
    Xd = _with_intercept(Xv if columns is None else take_columns(Xv, columns), fit_intercept)
    b, V = summary.coef[rows], summary.cov[rows, rows]
    eta = np.asarray(Xd @ b).ravel()
    XV = Xd @ V
    var = np.asarray(Xd.multiply(XV).sum(axis=1)).ravel() if sp.issparse(Xd) else np.einsum("ij,ij->i", XV, Xd)
    half = stats.norm.ppf(1.0 - alpha / 2.0) * np.sqrt(np.maximum(var, 0.0))
    return sigmoid(eta), sigmoid(eta - half), sigmoid(eta + half)
