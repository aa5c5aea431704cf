"""The summary of a fit: coefficients, covariances (Fisher information, sandwiches), intervals.

See :mod:`sklogloss.inference`.
"""


from numbers import Real

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy import stats
from sklearn.utils.validation import check_is_fitted

from ..estimators import HurdleRegressor, LogisticClassifier, SoftmaxClassifier
from ..estimators._base import is_separated, validate_X
from ..estimators._hurdle_features import take_columns
from ..estimators._separation import separating_direction_exists
from ..estimators._targets import label_repr
from ..losses.counts import ZeroTruncatedNegativeBinomialLoss
from ..objective import TruncatedNegBinObjective
from ..utils.validation import check_sample_weight, issparse

__all__ = ["COV_TYPES", "InferenceSummary", "summary"]

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
    return M.toarray() if issparse(M) else np.asarray(M)


def _scale_rows(U, w):
    return sp.diags(w) @ U if issparse(U) else U * w[:, None]


def _hstack(blocks):
    if any(issparse(b) for b in blocks):
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


def _check_not_separated(objective, coef, what, X=None):
    y = objective.y
    hard = np.all((y == 0) | (y == 1)) if y.ndim == 1 else np.all(np.count_nonzero(y, axis=1) <= 1)
    if hard and is_separated(objective, coef):
        raise ValueError(
            f"The data are perfectly separated{what}: the maximum-likelihood estimate does not exist and the "
            "Fisher information vanishes. Remove the separating features, or fit a penalised model (which "
            "has no standard errors here).")
    if hard and X is not None and separating_direction_exists(X, y, objective.sample_weight,
                                                              objective.fit_intercept):
        raise ValueError(
            f"The data are quasi-completely separated{what}: a direction of the weights separates some "
            "classes (or all but samples on a hyperplane) without misclassifying any sample, so the "
            "maximum-likelihood estimate does not exist and the Fisher information vanishes along it "
            "(the standard errors would be those of a point on the way to infinity). Remove the "
            "separating features or merge the separated classes, or fit a penalised model (which has no "
            "standard errors here).")


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
    _check_not_separated(obj, coef, what, X if X.shape[1] == obj.n_features else None)
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
