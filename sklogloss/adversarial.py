"""Adversarial examples for linear classifiers: input gradients, FGSM and PGD.

The loss attacked is the classifier's cross-entropy of the true label,
``-log P(y | x)``, as a function of the input ``x``:

* a model with one row of ``coef_`` (binary): the logistic loss of the log-odds
  ``z = w . x + b``, gradient ``(sigmoid(z) - [y = classes_[1]]) w``;
* :class:`~sklogloss.SoftmaxClassifier`, :class:`~sklogloss.NoiseCorrectedClassifier`
  (its clean posterior) and any other estimator with several rows of ``coef_``
  (scikit-learn's ``LogisticRegression``, ``LinearSVC``, ...): the softmax
  cross-entropy of the decision scores, gradient ``(softmax(z) - onehot(y)) W``;
* :class:`~sklogloss.LogisticClassifier` with one-vs-rest classes: the
  cross-entropy of its normalised sigmoids (what ``predict_proba`` returns);
  with multilabel targets (``y`` a 0/1 matrix), the sum of the labels'
  binary cross-entropies.

For a binary linear model the worst case is closed-form: within an
``epsilon`` ball the signed margin ``s (w . x + b)`` (``s = +-1``) falls by at
most ``epsilon ||w||_*``, the dual norm of ``w`` (the L1 norm for an L-inf
ball, the L2 norm for an L2 ball), and :func:`fgsm` (L-inf) and :func:`pgd`
(both norms) reach it exactly.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .losses import sigmoid, softmax
from .utils.validation import issparse

__all__ = ["fgsm", "input_gradient", "pgd"]

_NORMS = ("inf", "l2")


def _check_norm(norm):
    if norm in ("inf", np.inf, "linf", "Linf"):
        return "inf"
    if norm in ("l2", "L2", 2):
        return "l2"
    raise ValueError(f"norm must be 'inf' (an L-infinity ball) or 'l2' (a Euclidean ball); got {norm!r}.")


def _check_epsilon(epsilon):
    if isinstance(epsilon, bool) or not isinstance(epsilon, Real) or not np.isfinite(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon, the radius of the perturbation ball, must be a finite number >= 0; "
                         f"got {epsilon!r}.")
    return float(epsilon)


def _linear_parts(estimator, X):
    """``(X, W, b)``: the validated dense float64 X, ``coef_`` ``(K, p)`` and ``intercept_`` ``(K,)``."""
    if not hasattr(estimator, "fit") or not hasattr(estimator, "predict"):
        raise ValueError(f"estimator must be a fitted linear classifier; got {type(estimator).__name__}.")
    check_is_fitted(estimator)
    if not hasattr(estimator, "coef_"):
        raise ValueError(
            f"{type(estimator).__name__} has no coef_: the attacks need a linear classifier (scores "
            "X @ coef_.T + intercept_). For a Pipeline, attack its final estimator on the transformed X.")
    if issparse(X):
        raise ValueError("X is sparse; an attack perturbs every feature: pass a dense array "
                         "(X.toarray()).")
    X = np.asarray(X, dtype=np.float64)
    W = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))
    if X.ndim != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(f"X must be 2-D with {W.shape[1]} features (the estimator's); got shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity; attacks need finite inputs.")
    b = np.broadcast_to(np.asarray(getattr(estimator, "intercept_", 0.0), dtype=np.float64), (W.shape[0],))
    return X, W, b


def _label_indices(estimator, y, n):
    classes = np.asarray(estimator.classes_)
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must hold one label per row of X ({n}); got shape {y.shape}.")
    idx = np.searchsorted(classes, y)
    idx = np.clip(idx, 0, classes.size - 1)
    unknown = classes[idx] != y
    if np.any(unknown):
        raise ValueError(f"y holds labels the estimator does not know: {np.unique(y[unknown])[:5]}; "
                         f"its classes_ are {classes}.")
    return idx


def _score_gradient(estimator, Z, y):
    """Gradient of ``-log P(y | x)`` with respect to the scores ``Z`` ``(n, K)``."""
    kind = getattr(getattr(estimator, "_targets", None), "kind_", None)
    n, K = Z.shape
    if kind == "multilabel":
        Y = np.asarray(y, dtype=np.float64)
        if Y.shape != Z.shape:
            raise ValueError(f"A multilabel model's y is a 0/1 matrix of shape {Z.shape}; got {Y.shape}.")
        return sigmoid(Z) - Y
    idx = _label_indices(estimator, y, n)
    if K == 1:
        # sigmoid(z) - 1 as -sigmoid(-z): no cancellation, the direction survives large margins.
        return np.where((idx == 1)[:, None], -sigmoid(-Z), sigmoid(Z))
    onehot = np.eye(K)[idx]
    if kind == "multiclass":
        # log P(y) = log s_y - log sum_k s_k with s = sigmoid(z): d/dz_k = [k = y] (1 - s_y) - s_k (1 - s_k) / sum(s).
        s = sigmoid(Z)
        return s * (1 - s) / s.sum(axis=1, keepdims=True) - onehot * (1 - s)
    return softmax(Z) - onehot


def input_gradient(estimator, X, y):
    """Gradient of each sample's loss ``-log P(y_i | x_i)`` with respect to its input ``x_i``.

    Parameters
    ----------
    estimator : fitted linear classifier
        Any classifier of this package, or a fitted scikit-learn classifier
        with ``coef_`` and ``intercept_`` (see :mod:`sklogloss.adversarial`
        for the loss each kind of model is attacked with).
    X : array-like of shape (n_samples, n_features)
        Dense inputs.
    y : array-like of shape (n_samples,)
        True labels (a 0/1 matrix for a multilabel model).

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        Row ``i`` is ``d loss_i / d x_i``: for a linear model, the gradient of
        the loss with respect to the scores times ``coef_``.

    Examples
    --------
    For a binary model the gradient is ``(p - y) w``:

    >>> import numpy as np
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.adversarial import input_gradient
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> clf = LogisticClassifier().fit(X, [0, 0, 1, 1])
    >>> g = input_gradient(clf, X, [0, 0, 1, 1])
    >>> p = clf.predict_proba(X)[:, 1]
    >>> bool(np.allclose(g, (p - [0, 0, 1, 1])[:, None] * clf.coef_))
    True
    """
    X, W, b = _linear_parts(estimator, X)
    Z = X @ W.T + b
    return _score_gradient(estimator, Z, y) @ W


def _sign_step(g, norm):
    if norm == "inf":
        return np.sign(g)
    length = np.linalg.norm(g, axis=1, keepdims=True)
    return np.divide(g, length, out=np.zeros_like(g), where=length > 0)


def _project(delta, epsilon, norm):
    if norm == "inf":
        return np.clip(delta, -epsilon, epsilon)
    length = np.linalg.norm(delta, axis=1, keepdims=True)
    scale = np.minimum(1.0, np.divide(epsilon, length, out=np.ones_like(length), where=length > 0))
    return delta * scale


def fgsm(estimator, X, y, epsilon, norm="inf"):
    """Fast gradient (sign) method: one step of length ``epsilon`` up the loss's input gradient.

    ``X + epsilon * sign(g)`` for ``norm="inf"`` (Goodfellow et al. 2015),
    ``X + epsilon * g / ||g||_2`` for ``norm="l2"``, with ``g`` the
    :func:`input_gradient`. On a binary linear model the L-inf step is the
    exact worst case: the signed margin falls by ``epsilon * ||w||_1``.

    Parameters
    ----------
    estimator : fitted linear classifier
        See :func:`input_gradient`.
    X : array-like of shape (n_samples, n_features)
        Dense inputs.
    y : array-like of shape (n_samples,)
        True labels.
    epsilon : float >= 0
        Radius of the perturbation ball.
    norm : {"inf", "l2"}, default="inf"
        The ball's norm.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        The perturbed inputs (float64), each within ``epsilon`` of its row of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.adversarial import fgsm
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> clf = LogisticClassifier().fit(X, y)
    >>> X_adv = fgsm(clf, X, y, epsilon=0.1)
    >>> round(float(np.abs(X_adv - X).max()), 12)
    0.1
    >>> margin = lambda Z: (2 * y - 1) * clf.decision_function(Z)
    >>> bool(np.allclose(margin(X) - margin(X_adv), 0.1 * np.abs(clf.coef_).sum()))
    True
    """
    epsilon, norm = _check_epsilon(epsilon), _check_norm(norm)
    X_arr = _linear_parts(estimator, X)[0]
    return X_arr + epsilon * _sign_step(input_gradient(estimator, X_arr, y), norm)


def pgd(estimator, X, y, epsilon, norm="inf", n_steps=20, step_size=None, random_start=False, random_state=None):
    """Projected gradient ascent on the loss within an ``epsilon`` ball around each input (Madry et al. 2018).

    Each step moves ``step_size`` along the steepest-ascent direction of the
    ball's norm (``sign(g)`` for L-inf, ``g / ||g||_2`` for L2) and projects
    back onto the ball (clipping, or rescaling). On a binary linear model the
    loss increases along a fixed direction, and once ``n_steps * step_size >=
    epsilon`` PGD reaches the exact worst case for either norm.

    Parameters
    ----------
    estimator : fitted linear classifier
        See :func:`input_gradient`.
    X : array-like of shape (n_samples, n_features)
        Dense inputs.
    y : array-like of shape (n_samples,)
        True labels.
    epsilon : float >= 0
        Radius of the ball.
    norm : {"inf", "l2"}, default="inf"
        The ball's norm.
    n_steps : int >= 1, default=20
        Ascent steps.
    step_size : float > 0 or None, default=None
        Length of a step; ``None``: ``2.5 * epsilon / n_steps`` (Madry et al.).
    random_start : bool, default=False
        Start from a uniformly random point of the ball instead of ``X``.
    random_state : int, Generator or None, default=None
        Seed of the random start.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        The inputs after the last step (float64), each in the ball around its row of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.adversarial import pgd
    >>> from sklogloss import LogisticClassifier
    >>> X = np.array([[-1.0, 0.5], [0.0, -1.0], [1.0, 2.0], [2.0, 0.5], [0.5, 0.0]])
    >>> y = np.array([0, 0, 1, 1, 0])
    >>> clf = LogisticClassifier(C=2.0).fit(X, y)
    >>> X_adv = pgd(clf, X, y, epsilon=0.5, norm="l2")
    >>> bool(np.all(np.linalg.norm(X_adv - X, axis=1) <= 0.5 + 1e-12))
    True
    >>> margin = lambda Z: (2 * y - 1) * clf.decision_function(Z)
    >>> bool(np.allclose(margin(X) - margin(X_adv), 0.5 * np.linalg.norm(clf.coef_)))
    True
    """
    epsilon, norm = _check_epsilon(epsilon), _check_norm(norm)
    if isinstance(n_steps, bool) or not isinstance(n_steps, Integral) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer; got {n_steps!r}.")
    if step_size is None:
        step_size = 2.5 * epsilon / n_steps
    elif isinstance(step_size, bool) or not isinstance(step_size, Real) or not np.isfinite(step_size) \
            or step_size <= 0:
        raise ValueError(f"step_size must be a finite number > 0 or None; got {step_size!r}.")
    X0 = _linear_parts(estimator, X)[0]
    delta = np.zeros_like(X0)
    if random_start and epsilon > 0:
        rng = np.random.default_rng(random_state)
        if norm == "inf":
            delta = rng.uniform(-epsilon, epsilon, size=X0.shape)
        else:  # uniform in the ball: a uniform direction, radius epsilon * U^(1/d)
            direction = rng.normal(size=X0.shape)
            direction /= np.linalg.norm(direction, axis=1, keepdims=True)
            delta = direction * epsilon * rng.uniform(size=(X0.shape[0], 1)) ** (1.0 / X0.shape[1])
    for _ in range(n_steps):
        g = input_gradient(estimator, X0 + delta, y)
        delta = _project(delta + step_size * _sign_step(g, norm), epsilon, norm)
    return X0 + delta
