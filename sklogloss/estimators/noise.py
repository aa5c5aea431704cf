"""NoiseCorrectedClassifier: multinomial logistic regression trained through a label-noise model."""

from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import check_cv, cross_val_predict

from ..losses import MultinomialLoss, log_softmax
from ..losses.noise import (
    BackwardCorrectedLoss,
    ForwardCorrectedLoss,
    check_transition_matrix,
)
from ..noise_estimation import (
    anchor_transition_matrix,
    confident_joint_transition_matrix,
    cv_prior_strength,
    em_transition_matrix,
    noisy_log_likelihood,
)
from ..objective import LinearObjective
from ..utils._sklearn import HasMethods, Interval, StrOptions
from ._base import LINEAR_PARAMETER_CONSTRAINTS, MultinomialFitMixin, fill_doc, run_solver
from ._targets import LabelTargets

__all__ = ["NoiseCorrectedClassifier"]

_SOLVERS = {"auto", "lbfgs", "newton-cg", "newton-cholesky", "gd"}

#: Share of the uniform distribution mixed into the initial estimate of the EM, so
#: that no transition it did not see is ruled out for good (EM keeps zeros at zero).
_EM_SMOOTHING = 0.01
#: Loosest stopping tolerance of the fits inside the EM: an E-step needs probabilities,
#: not the last digits of the weights (the final fit uses ``tol``).
_EM_FIT_TOL = 1e-3
#: The EM also stops when _EM_PATIENCE iterations in a row do not raise the best held-out
#: log-likelihood (by more than _EM_LL_TOL nats per sample): T then moves within the jitter
#: of the refits, not toward a better fit. A positive tolerance would stop a slowly
#: converging EM at a distance from its limit that does not shrink with n.
_EM_PATIENCE = 3
_EM_LL_TOL = 0.0


@fill_doc
class NoiseCorrectedClassifier(MultinomialFitMixin, ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression that learns the clean posterior from noisy labels.

    Annotators who make systematic mistakes record a sample of true class ``i``
    as ``j`` with probability ``T[i, j]``. With ``T`` known or estimated, the
    cross-entropy is corrected (Patrini et al. 2017) so that its minimiser is
    the *clean* posterior ``P(true | x)``, although only noisy labels are seen.
    The model is linear in the softmax scores (``K`` raw outputs, also for two
    classes) and minimises::

        C * sum_i s_i * loss_i + 1/2 * ||W||^2

    with ``loss_i`` the corrected loss of sample ``i`` (intercepts not penalised).

    * ``correction="forward"``: ``loss = -log((T^T p)_{y_noisy})``, the
      likelihood of the noisy label under the model ``p = softmax(W x + b)``
      followed by the noise. Bounded below, well behaved with an estimated
      ``T``; its Hessian is indefinite, so it is solved by L-BFGS by default.
    * ``correction="backward"``: ``loss = (T^{-1} l(p))_{y_noisy}`` with
      ``l_k = -log p_k``: the multinomial cross-entropy with the target row
      ``e_y @ T^{-1}``, an unbiased estimate of the clean loss. Convex in the
      scores but unbounded below (the targets have negative entries): it needs
      a finite ``C`` and an invertible, well-conditioned ``T``.

    Parameters
    ----------
    transition_matrix : "estimate", array-like of shape (n_classes, n_classes) or None, \
default="estimate"
        ``T[i, j] = P(noisy = j | true = i)``, rows summing to one, rows and
        columns in the order of ``classes_`` (the sorted labels). ``"estimate"``
        estimates it from the data (see ``estimation``). ``None`` means no
        correction (``T`` the identity): plain multinomial logistic regression
        on the noisy labels.
    correction : {"forward", "backward"}, default="forward"
        Which loss correction to apply.
    {{C}}
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept per class.
    solver : {"auto", "lbfgs", "newton-cg", "newton-cholesky", "gd"}, default="auto"
        ``"auto"`` is L-BFGS: with ``K`` outputs a full Hessian costs ``K^2 / 2``
        weighted Gram matrices per iteration. Newton-Cholesky needs a positive semi-definite Hessian: it is refused
        for the forward correction (Newton-CG stops its inner iterations at
        negative curvature and is fine).
    tol : float, default=1e-6
        Stop when the max-norm of the gradient of the objective divided by
        ``C * sum(sample_weight)`` is at most ``tol``.
    max_iter : int or None, default=None
        Maximum number of iterations; ``None`` uses the solver's default.
    estimation : {"em", "confident_joint", "anchor"}, default="em"
        How ``transition_matrix="estimate"`` estimates ``T``. Every method
        starts from out-of-fold probabilities of the noisy labels from
        ``estimator`` (see :mod:`sklogloss.noise_estimation`).

        * ``"confident_joint"``: the confident joint of Northcutt et al. (2021)
          of those probabilities.
        * ``"anchor"``: the anchor points of Patrini et al. (2017).
        * ``"em"``: the maximum-likelihood fit of ``T`` jointly with this
          model, by expectation-maximisation with out-of-fold E-steps. It
          starts from the confident joint (mixed with 1% of the uniform
          distribution, so that no transition is ruled out for good); each
          iteration fits the forward-corrected model with the current ``T`` on
          the training part of every ``cv`` split, predicts the clean-class
          probabilities of the held-out part, scores ``T`` by the held-out
          noisy log-likelihood (:func:`~sklogloss.noise_estimation.noisy_log_likelihood`)
          and updates it by :func:`~sklogloss.noise_estimation.em_transition_matrix`
          (maximum a posteriori, see ``em_prior_strength``).
          It stops after ``em_max_iter`` iterations, when no row of ``T``
          moves by more than ``em_tol`` (L1), or when three iterations in a
          row bring no better held-out likelihood, and keeps the scored
          iterate of the highest held-out likelihood (see
          ``em_log_likelihood_``). Every fit starts from zero (the forward
          loss is not convex) and stops at the tolerance ``max(tol, 1e-3)``;
          the likelihood model is the forward correction also when
          ``correction="backward"``. It costs ``em_max_iter`` more
          cross-validations than ``"confident_joint"`` at most. On pair flips
          of 40% of each digit of ``load_digits`` the confident joint was 0.73
          (largest row L1 distance) from the true ``T`` and this estimate
          0.15, which gave the accuracy of the true ``T`` (0.958 against 0.960;
          0.797 with the confident joint): ``docs/noise_correction.rst``,
          ``benchmarks/noise_rates.py``.
    em_max_iter : int, default=20
        Most EM iterations of ``estimation="em"`` (0: the confident joint).
    em_tol : float, default=1e-3
        ``estimation="em"`` stops when the largest L1 change of a row of ``T``
        is at most ``em_tol``.
    em_prior_strength : "cv" or float >= 0, default="cv"
        The M-steps of ``estimation="em"`` are maximum a posteriori under a
        Dirichlet prior on each row of ``T``, worth this many samples and
        centred on the row's symmetric part (its diagonal kept, its
        off-diagonal mass spread evenly; see
        :func:`~sklogloss.noise_estimation.em_transition_matrix`). ``"cv"``
        chooses it at every iteration by the held-out noisy log-likelihood of
        the counts over the ``cv`` splits'
        held-out parts (:func:`~sklogloss.noise_estimation.cv_prior_strength`):
        under symmetric noise it pools the off-diagonal counts, which rest on
        a few samples each at high rates; for pair flips it chooses 0. ``0``
        is the maximum-likelihood EM. The chosen strengths are in
        ``em_prior_strength_``.
    anchor_quantile : float in [0, 100], default=97.0
        Percentile filter of the anchor-point estimator (100: plain maximum).
    estimator : classifier or None, default=None
        The classifier whose out-of-fold ``predict_proba`` on the noisy labels
        feeds the estimate of ``T`` (the start of the EM, whose iterations fit
        this model). ``None``: this model without correction
        (``transition_matrix=None``) with the same ``C``, ``fit_intercept``,
        ``solver``, ``tol`` and ``max_iter``.
    cv : int, cross-validation generator or iterable, default=5
        Splits for :func:`~sklearn.model_selection.cross_val_predict` and the
        EM (an int means stratified k-fold, no shuffling, so fits are
        reproducible).
    n_jobs : int or None, default=None
        Parallel jobs of the cross-validation.
    verbose : int, default=0
        Print solver progress and the estimated ``T`` if positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        The transition matrix used (given, normalised, or estimated); the
        identity when ``transition_matrix=None``.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights. Multiclass: one row per class, centred (the rows sum to
        zero; adding the same vector to all rows changes nothing). Binary:
        one row, ``W[1] - W[0]``, the log-odds weights of ``classes_[1]``.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts, centred likewise (binary: ``b[1] - b[0]``).
    n_iter_ : ndarray of shape (1,)
        Solver iterations of the final fit.
    em_log_likelihood_ : ndarray of shape (n_scored,)
        With ``estimation="em"`` and ``transition_matrix="estimate"``: the
        held-out mean noisy log-likelihood of each scored iterate of ``T``
        (the first is the start); ``transition_matrix_`` is the best one.
    em_prior_strength_ : ndarray of shape (n_updates,)
        With ``estimation="em"`` and ``transition_matrix="estimate"``: the
        prior strength of each update of ``T`` (see ``em_prior_strength``;
        the update after scored iterate ``t`` made iterate ``t + 1``).
    {{fitted}}

    See Also
    --------
    sklogloss.noise_estimation : Estimators of ``T`` and synthetic label noise.
    sklogloss.losses.noise.ForwardCorrectedLoss : The forward loss, gradient and Hessian.

    Notes
    -----
    With ``T`` the identity the model is the multinomial logistic regression
    of :class:`sklearn.linear_model.LogisticRegression` at the same ``C``
    for three or more classes. For two classes the penalty acts on both
    (centred) score vectors, ``||W||^2 = ||w||^2 / 2`` for the log-odds weights
    ``w``: the same model as ``LogisticRegression(C=2 * C)``.

    ``"estimate"`` never lets a sample's own label inform its probability:
    the probabilities are out-of-fold, from ``cv``, and so are those of every
    E-step of the EM. Sample weights weight the out-of-fold fits, the
    confident counts and the EM's counts and likelihood; the anchor points are
    chosen among the samples of positive weight (there an integer weight is
    not the same as repeating the row, and with the splits of ``cv`` it is not
    for any estimate). ``examples/plot_noise_correction.py`` compares the
    estimators of ``T`` and the corrections on ``load_digits``;
    ``docs/noise_correction.rst`` has the measured table of
    ``benchmarks/noise_rates.py``.

    References
    ----------
    G. Patrini, A. Rozza, A. Menon, R. Nock, L. Qu, "Making deep neural
    networks robust to label noise: a loss correction approach", CVPR 2017.

    C. Northcutt, L. Jiang, I. Chuang, "Confident learning: estimating
    uncertainty in dataset labels", JAIR 70, 2021.

    A. P. Dawid, A. M. Skene, "Maximum likelihood estimation of observer
    error-rates using the EM algorithm", Applied Statistics 28(1), 1979.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklogloss.estimators.noise import NoiseCorrectedClassifier
    >>> from sklogloss.noise_estimation import flip_labels, pair_flip_transition_matrix
    >>> X, y = load_digits(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
    >>> T = pair_flip_transition_matrix(10, 0.3)       # 30% of each digit recorded as the next
    >>> y_noisy = flip_labels(y_tr, T, random_state=0)
    >>> plain = NoiseCorrectedClassifier(transition_matrix=None).fit(X_tr, y_noisy)
    >>> forward = NoiseCorrectedClassifier(transition_matrix=T).fit(X_tr, y_noisy)
    >>> estimated = NoiseCorrectedClassifier().fit(X_tr, y_noisy)      # T estimated by EM
    >>> plain.score(X_te, y_te) < 0.8 < 0.9 < forward.score(X_te, y_te)
    True
    >>> bool(estimated.score(X_te, y_te) > forward.score(X_te, y_te) - 0.01)
    True

    The estimate finds the flips to the next digit, and is closer to ``T``
    than the confident joint it starts from:

    >>> i = np.arange(10)
    >>> bool(estimated.transition_matrix_[i, (i + 1) % 10].min() > 0.2)
    True
    >>> start = NoiseCorrectedClassifier(estimation="confident_joint").fit(X_tr, y_noisy)
    >>> def error(T_hat):
    ...     return np.abs(T_hat - T).sum(axis=1).max()       # largest row L1 distance
    >>> bool(error(estimated.transition_matrix_) < 0.5 * error(start.transition_matrix_))
    True
    """

    _parameter_constraints = {
        "transition_matrix": [StrOptions({"estimate"}), "array-like", None],
        "correction": [StrOptions({"forward", "backward"})],
        **{k: LINEAR_PARAMETER_CONSTRAINTS[k] for k in ("C", "fit_intercept", "tol", "max_iter",
                                                        "verbose")},
        "solver": [StrOptions(_SOLVERS)],
        "estimation": [StrOptions({"em", "confident_joint", "anchor"})],
        "em_max_iter": [Interval(Integral, 0, None, closed="left")],
        "em_tol": [Interval(Real, 0, None, closed="left")],
        "em_prior_strength": [StrOptions({"cv"}), Interval(Real, 0, None, closed="both")],
        "anchor_quantile": [Interval(Real, 0, 100, closed="both")],
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, transition_matrix="estimate", correction="forward", C=1.0,
                 fit_intercept=True, solver="auto", tol=1e-6, max_iter=None,
                 estimation="em", em_max_iter=20, em_tol=1e-3, em_prior_strength="cv",
                 anchor_quantile=97.0, estimator=None, cv=5, n_jobs=None, verbose=0):
        self.transition_matrix = transition_matrix
        self.correction = correction
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.estimation = estimation
        self.em_max_iter = em_max_iter
        self.em_tol = em_tol
        self.em_prior_strength = em_prior_strength
        self.anchor_quantile = anchor_quantile
        self.estimator = estimator
        self.cv = cv
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------ transition matrix
    def _uses_identity(self):
        return self.transition_matrix is None

    def _probability_estimator(self):
        if self.estimator is not None:
            return clone(self.estimator)
        return NoiseCorrectedClassifier(
            transition_matrix=None, C=self.C, fit_intercept=self.fit_intercept,
            solver=self.solver, tol=self.tol, max_iter=self.max_iter)

    def _estimate_transition_matrix(self, X, Y, y_idx, sw, weighted, n_classes):
        """Estimate ``T`` from out-of-fold probabilities; zero-weight samples do not count."""
        if np.unique(y_idx[sw > 0]).size < n_classes:
            raise ValueError("Estimating transition_matrix needs samples of every class with "
                             "positive weight.")
        splits = list(check_cv(self.cv, y_idx, classifier=True).split(X, y_idx))
        params = {"sample_weight": sw} if weighted else None
        proba = cross_val_predict(self._probability_estimator(), X, y_idx, cv=splits,
                                  n_jobs=self.n_jobs, method="predict_proba", params=params)
        if self.estimation == "anchor":
            T = anchor_transition_matrix(proba[sw > 0], quantile=self.anchor_quantile)
        else:
            T = confident_joint_transition_matrix(y_idx, proba, sample_weight=sw)
        if self.estimation == "em":
            T = self._em(X, Y, y_idx, sw, splits, T)
        if self.verbose:
            with np.printoptions(precision=3, suppress=True):
                print(f"[NoiseCorrectedClassifier] estimated transition matrix "
                      f"({self.estimation}):\n{T}")
        if self.correction == "backward":
            try:
                T = check_transition_matrix(T, invertible=True)
            except ValueError as exc:
                raise ValueError(f"The estimated transition matrix cannot be inverted: {exc}") \
                    from exc
        return T

    def _em(self, X, Y, y_idx, sw, splits, T):
        """Cross-validated EM of ``T`` from the start ``T`` (see ``estimation="em"``)."""
        self.em_log_likelihood_ = np.empty(0)
        self.em_prior_strength_ = np.empty(0)
        if self.em_max_iter == 0:
            return T
        K = T.shape[0]
        T = (1.0 - _EM_SMOOTHING) * T + _EM_SMOOTHING / K
        Y = Y * (sw > 0)[:, None]
        # The likelihood model is the forward correction, also when the final fit is backward.
        solver = "lbfgs" if self.solver in ("auto", "newton-cholesky") else self.solver
        settings = SimpleNamespace(tol=max(self.tol, _EM_FIT_TOL), max_iter=self.max_iter,
                                   verbose=self.verbose)
        scores, candidates, strengths = [], [], []
        folds = [test for _, test in splits]
        for iteration in range(self.em_max_iter):
            proba = np.zeros((y_idx.size, K))
            for train, test in splits:
                objective = LinearObjective(X[train], Y[train], ForwardCorrectedLoss(T),
                                            sample_weight=sw[train], fit_intercept=self.fit_intercept,
                                            C=self.C, n_outputs=K)
                # From zero, not from the split's previous solution: the forward loss is not
                # convex, and a warm start keeps the basin of a worse T (measured: lower accuracy).
                coef = run_solver(settings, objective, objective.zero_coef(), solver,
                                  " (EM of the transition matrix)").coef
                W, b = objective.unpack(coef)
                raw = np.asarray(X[test] @ W.T, dtype=np.float64) + b
                proba[test] = np.exp(log_softmax(raw))
            scores.append(noisy_log_likelihood(y_idx, proba, T, sample_weight=sw))
            candidates.append(T)
            strength = (cv_prior_strength(y_idx, proba, T, folds, sample_weight=sw)[0]
                        if self.em_prior_strength == "cv" else float(self.em_prior_strength))
            strengths.append(strength)
            new = em_transition_matrix(y_idx, proba, T, sample_weight=sw, prior_strength=strength)
            change = np.abs(new - T).sum(axis=1).max()
            if self.verbose:
                print(f"[NoiseCorrectedClassifier] EM iteration {iteration}: held-out noisy "
                      f"log-likelihood {scores[-1]:.5f}, prior strength {strength:g}, "
                      f"change of T {change:.4f}")
            T = new
            if change <= self.em_tol:
                break
            stalled = len(scores) > _EM_PATIENCE and \
                max(scores[-_EM_PATIENCE:]) <= max(scores[:-_EM_PATIENCE]) + _EM_LL_TOL
            if stalled:
                break
        self.em_log_likelihood_ = np.array(scores)
        self.em_prior_strength_ = np.array(strengths)
        best = int(np.argmax(scores))
        # Converged: the last update moved T by at most em_tol from the best iterate.
        return T if best == len(scores) - 1 and change <= self.em_tol else candidates[best]

    def _resolve_transition_matrix(self, X, Y, y_idx, sw, weighted, classes):
        n_classes = classes.size
        if self._uses_identity():
            return np.eye(n_classes)
        if isinstance(self.transition_matrix, str):
            return self._estimate_transition_matrix(X, Y, y_idx, sw, weighted, n_classes)
        T = check_transition_matrix(self.transition_matrix, n_classes=n_classes,
                                    invertible=self.correction == "backward")
        if self.correction == "forward":
            observed = np.unique(y_idx[sw > 0])
            impossible = observed[~(T[:, observed] > 0).any(axis=0)]
            if impossible.size:
                raise ValueError(
                    f"transition_matrix gives probability zero to the observed labels "
                    f"{classes[impossible].tolist()} (their columns are all zeros).")
        return T

    # ------------------------------------------------------------ fit hooks
    _accepts_2d_targets = False

    def _target_encoder(self):
        return LabelTargets()

    def _learn_state(self, X, Y, sw, weighted):
        """Check the correction against the parameters; set ``transition_matrix_``."""
        for name in ("em_log_likelihood_", "em_prior_strength_"):  # of a previous fit
            self.__dict__.pop(name, None)
        identity = self._uses_identity()
        forward = not identity and self.correction == "forward"
        if not identity and not forward and np.isinf(self.C):
            raise ValueError(
                "correction='backward' needs a finite C: its targets e_y T^-1 have negative "
                "entries, so the loss is unbounded below without a penalty. Use a finite C or "
                "correction='forward'.")
        if self.solver == "newton-cholesky" and forward:
            raise ValueError("solver='newton-cholesky' needs a positive semi-definite Hessian, "
                             "which the forward-corrected loss does not have; use 'lbfgs' or "
                             "'newton-cg'.")
        self.transition_matrix_ = self._resolve_transition_matrix(
            X, Y, Y.argmax(axis=1), sw, weighted, self._targets.classes_)

    def _learn_distributed_state(self, weighted):
        """On dask arrays: a given transition matrix (or none), checked against the observed classes."""
        if isinstance(self.transition_matrix, str):
            raise ValueError(
                "Estimating transition_matrix needs out-of-fold predictions of every sample, which a fit on "
                "dask arrays does not make; estimate it on a sample that fits in memory "
                "(sklogloss.noise_estimation) and pass the matrix.")
        observed = np.flatnonzero(self._targets.global_mass_ > 0)
        K = self._targets.classes_.size
        self._learn_state(None, np.eye(K)[observed], np.ones(observed.size), weighted)

    def _build_objectives(self, X, Y, sw):
        """The corrected multinomial objective of the one-hot noisy labels."""
        if self._uses_identity():
            loss = MultinomialLoss()
        elif self.correction == "forward":
            loss = ForwardCorrectedLoss(self.transition_matrix_)
        else:
            loss = BackwardCorrectedLoss(self.transition_matrix_)
        # Rows of weight zero get no target at all: they contribute nothing, and a
        # label that only they carry must not count as observed.
        Y = Y * (sw > 0)[:, None]
        return [LinearObjective(X, Y, loss, sample_weight=sw, fit_intercept=self.fit_intercept,
                                C=self.C, n_outputs=Y.shape[1])]

    def _select_solver(self, objective):
        return "lbfgs" if self.solver == "auto" else self.solver

    def _start(self, objectives):
        return [objective.zero_coef() for objective in objectives]

    def _may_separate(self, Y):
        return False

    # ---------------------------------------------------------- predictions
    def predict_noisy_proba(self, X):
        """Model of the noisy labels, ``P(noisy | x) = predict_proba(X) @ transition_matrix_``.

        {{X_returns}}
        ndarray of shape (n_samples, n_classes)
            Probabilities of the labels an annotator would record.
        """
        return self.predict_proba(X) @ self.transition_matrix_
