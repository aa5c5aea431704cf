"""Plotting helpers (matplotlib is imported only when something is drawn)."""

import numpy as np

from .metrics import _table_ece, calibration_table

__all__ = ["ReliabilityDisplay", "RootogramDisplay", "plot_reliability_diagram"]

_DIAGONAL_LABEL = "perfectly calibrated"
_BINARY_ONLY = (
    "ReliabilityDisplay draws binary problems; got {what}. For more than two classes measure the calibration "
    "with sklogloss.metrics.expected_calibration_error(y, y_prob, kind='top-label' or kind='classwise'), "
    "or draw one class against the rest: from_predictions(y == k, y_prob[:, k])."
)


def _reliability_axes(ax):
    """An Axes with the diagonal and the labels of a reliability diagram (the diagonal drawn once)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    if _DIAGONAL_LABEL not in [line.get_label() for line in ax.get_lines()]:
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label=_DIAGONAL_LABEL)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="upper left", fontsize="small")
    return ax


class ReliabilityDisplay:
    """Reliability diagram of a binary classifier, with its expected calibration error.

    The curve joins, bin by bin, the mean predicted probability of the positive
    class (x) and the observed frequency of the positive class (y); the legend
    entry carries the ECE of the same bins. Build it with :meth:`from_estimator`
    or :meth:`from_predictions`, which compute the bins with
    :func:`~sklogloss.metrics.calibration_table` and the ECE with
    :func:`~sklogloss.metrics.expected_calibration_error` (same ``n_bins``,
    ``strategy`` and ``sample_weight``), so the diagram and the metric always
    agree. The interface follows scikit-learn's
    :class:`~sklearn.calibration.CalibrationDisplay`. Binary problems only;
    matplotlib is needed only to draw.

    Parameters
    ----------
    prob_true : ndarray of shape (n_nonempty_bins,)
        Observed frequency of the positive class in each non-empty bin.
    prob_pred : ndarray of shape (n_nonempty_bins,)
        Mean predicted probability in each non-empty bin.
    y_prob : ndarray of shape (n_samples,)
        Predicted probabilities of the positive class.
    ece : float
        Expected calibration error shown in the legend.
    bin_weight : ndarray of shape (n_nonempty_bins,), default=None
        Share of the total weight in each bin.
    estimator_name : str, default=None
        Name in the legend; None shows the ECE alone.
    n_bins : int, default=10
        Number of bins the curve was made with.
    strategy : {"uniform", "quantile"}, default="uniform"
        Binning the curve was made with.

    Attributes
    ----------
    line_ : matplotlib.lines.Line2D
        The reliability curve.
    ax_ : matplotlib.axes.Axes
        Axes with the diagram.
    figure_ : matplotlib.figure.Figure
        Figure containing the diagram.

    See Also
    --------
    sklogloss.metrics.expected_calibration_error : the ECE, also top-label and classwise.
    plot_reliability_diagram : several curves on one Axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklogloss.plotting import ReliabilityDisplay
    >>> disp = ReliabilityDisplay.from_predictions([0, 1, 1, 1], [0.2, 0.4, 0.8, 0.9], n_bins=2, name="model")
    >>> disp.prob_pred, disp.prob_true
    (array([0.3 , 0.85]), array([0.5, 1. ]))
    >>> disp.line_.get_label()
    'model (ECE 0.1750)'
    """

    def __init__(self, prob_true, prob_pred, y_prob, *, ece, bin_weight=None, estimator_name=None, n_bins=10,
                 strategy="uniform"):
        self.prob_true = prob_true
        self.prob_pred = prob_pred
        self.y_prob = y_prob
        self.ece = ece
        self.bin_weight = bin_weight
        self.estimator_name = estimator_name
        self.n_bins = n_bins
        self.strategy = strategy

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the reliability curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None. The diagonal of perfect
            calibration is drawn once per Axes, so several displays can share
            one.
        name : str, default=None
            Name in the legend; None uses ``estimator_name``. The legend label
            is ``"name (ECE 0.0123)"`` (``"ECE 0.0123"`` without a name).
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` (default ``marker="o"``);
            ``label`` replaces the legend label.

        Returns
        -------
        ReliabilityDisplay
            ``self``, with ``line_``, ``ax_`` and ``figure_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklogloss.plotting import ReliabilityDisplay
        >>> disp = ReliabilityDisplay([0.5, 1.0], [0.3, 0.85], [0.2, 0.4, 0.8, 0.9], ece=0.175)
        >>> disp.plot(name="model", color="black").line_.get_label()
        'model (ECE 0.1750)'
        """
        ax = _reliability_axes(ax)
        name = self.estimator_name if name is None else name
        label = f"ECE {self.ece:.4f}" if name is None else f"{name} (ECE {self.ece:.4f})"
        self.line_ = ax.plot(self.prob_pred, self.prob_true, **{"marker": "o", "label": label, **kwargs})[0]
        ax.legend(loc="upper left", fontsize="small")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_predictions(cls, y_true, y_prob, *, n_bins=10, strategy="uniform", sample_weight=None, name=None,
                         ax=None, **kwargs):
        """Reliability diagram from targets and predicted probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            0/1 labels (1 = positive class) or soft targets in ``[0, 1]``;
            labels of another form must be compared with the positive class
            first (``y == positive_label``).
        y_prob : array-like of shape (n_samples,) or (n_samples, 2)
            Predicted probabilities of the positive class (of a ``(n, 2)``
            matrix, the second column).
        n_bins : int, default=10
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Binning, see :func:`~sklogloss.metrics.calibration_table`.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, for the bins and the ECE.
        name : str, default=None
            Name in the legend.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        ReliabilityDisplay
            The drawn display; ``ece`` equals
            ``expected_calibration_error(y_true, y_prob, n_bins, strategy, sample_weight)``.

        Raises
        ------
        ValueError
            For more than two classes, and for inputs that
            :func:`~sklogloss.metrics.calibration_table` rejects.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklogloss.plotting import ReliabilityDisplay
        >>> disp = ReliabilityDisplay.from_predictions([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.8], n_bins=2)
        >>> disp.ece, disp.line_.get_label()
        (0.25, 'ECE 0.2500')
        """
        shape = np.shape(y_prob)
        if len(shape) == 2 and shape[1] > 2:
            raise ValueError(_BINARY_ONLY.format(what=f"y_prob with {shape[1]} columns"))
        prob_pred, prob_true, weight = calibration_table(y_true, y_prob, n_bins, strategy, sample_weight)
        ece = _table_ece(prob_pred, prob_true, weight)  # expected_calibration_error's, from the drawn table
        p = np.asarray(y_prob, dtype=np.float64)
        disp = cls(prob_true, prob_pred, p[:, 1] if p.ndim == 2 else p, ece=ece, bin_weight=weight,
                   estimator_name=name, n_bins=n_bins, strategy=strategy)
        return disp.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, n_bins=10, strategy="uniform", sample_weight=None, name=None,
                       ax=None, **kwargs):
        """Reliability diagram of a fitted binary classifier on ``(X, y)``.

        The positive class is ``estimator.classes_[1]`` and its probability is
        column 1 of ``estimator.predict_proba(X)``.

        Parameters
        ----------
        estimator : fitted classifier
            A binary classifier with ``classes_`` and ``predict_proba`` (for a
            model without probabilities, e.g. :class:`~sklearn.svm.LinearSVC`,
            wrap it in :class:`~sklearn.calibration.CalibratedClassifierCV` or
            pass squashed scores to :meth:`from_predictions`).
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,)
            Labels, each one of ``estimator.classes_``; for a model with
            classes ``[0, 1]``, also soft targets in ``[0, 1]``.
        n_bins : int, default=10
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Binning, see :func:`~sklogloss.metrics.calibration_table`.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, for the bins and the ECE.
        name : str, default=None
            Name in the legend; None uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        ReliabilityDisplay
            The drawn display.

        Raises
        ------
        ValueError
            If the estimator has no ``predict_proba`` or more than two classes,
            or ``y`` holds labels the estimator does not know.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> from sklogloss import LogisticClassifier
        >>> from sklogloss.plotting import ReliabilityDisplay
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> clf = make_pipeline(StandardScaler(), LogisticClassifier()).fit(X, y)
        >>> disp = ReliabilityDisplay.from_estimator(clf, X, y, name="logistic")
        >>> disp.estimator_name, bool(disp.ece < 0.05)
        ('logistic', True)
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator)
        if not hasattr(estimator, "predict_proba"):
            raise ValueError(
                f"{type(estimator).__name__} has no predict_proba. Wrap it in "
                "sklearn.calibration.CalibratedClassifierCV, or pass probabilities to "
                "ReliabilityDisplay.from_predictions (e.g. scipy.special.expit(estimator.decision_function(X)))."
            )
        classes = np.asarray(estimator.classes_)
        if classes.ndim != 1 or classes.size != 2:
            raise ValueError(_BINARY_ONLY.format(what=f"an estimator with classes {classes.tolist()}"))
        y = np.asarray(y)
        if np.all(np.isin(y, classes)):
            y_true = (y == classes[1]).astype(np.float64)
        elif classes.dtype.kind in "iuf" and classes.tolist() == [0, 1] and y.dtype.kind == "f" and np.all(
                (y >= 0) & (y <= 1)):
            y_true = y  # soft targets
        else:
            unknown = y[~np.isin(y, classes)][:3].tolist()
            raise ValueError(
                f"y holds labels the estimator does not know: {unknown} (classes_ = {classes.tolist()}). "
                "Pass the labels the estimator was fitted on."
            )
        y_prob = estimator.predict_proba(X)[:, 1]
        if name is None:
            name = type(estimator).__name__
        return cls.from_predictions(y_true, y_prob, n_bins=n_bins, strategy=strategy, sample_weight=sample_weight,
                                    name=name, ax=ax, **kwargs)


def plot_reliability_diagram(y_true, probas, n_bins=10, strategy="uniform", ax=None):
    """Reliability diagram: observed frequency against mean predicted probability.

    One :class:`ReliabilityDisplay` per entry of ``probas``, on one Axes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        0/1 labels or soft targets.
    probas : dict of str to array-like
        Predicted probabilities of the positive class, one curve per entry.
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Binning (see :func:`sklogloss.metrics.calibration_table`).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes with the diagram; legend entries carry each curve's ECE,
        ``expected_calibration_error(y_true, p, n_bins, strategy)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklogloss.plotting import plot_reliability_diagram
    >>> ax = plot_reliability_diagram([0, 1, 1, 0], {"model": [0.1, 0.8, 0.6, 0.3]}, n_bins=2)
    >>> ax.get_xlabel()
    'mean predicted probability'
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['perfectly calibrated', 'model (ECE 0.2500)']
    """
    ax = _reliability_axes(ax)
    for name, p in probas.items():
        ReliabilityDisplay.from_predictions(y_true, p, n_bins=n_bins, strategy=strategy, name=name, ax=ax)
    return ax


_ROOTOGRAM_STYLES = ("hanging", "standing")


def _check_style(style):
    if style not in _ROOTOGRAM_STYLES:
        raise ValueError(f"style must be one of {_ROOTOGRAM_STYLES}; got {style!r}.")
    return style


class RootogramDisplay:
    """Rootogram of a count model: square roots of the observed and expected frequency of each count.

    For each count ``k = 0, ..., max_count`` the observed frequency is the
    number (the sum of the sample weights) of samples with ``y = k`` and the
    expected frequency is ``sum_i P(y_i = k | x_i)`` under the model. Both are
    drawn on the square-root scale (Tukey's rootogram, as in Kleiber and
    Zeileis 2016, R's ``countreg::rootogram``): the expected frequencies as a
    curve, the observed ones as bars. In the ``"hanging"`` style the bars hang
    from the curve, so a bar that ends above zero marks a count the model
    over-predicts and one that ends below zero a count it under-predicts; in
    the ``"standing"`` style the bars stand on zero. Build it with
    :meth:`from_estimator` (a model with ``predict_pmf``, such as
    :class:`~sklogloss.HurdleRegressor`) or :meth:`from_predictions`
    (probabilities of any model); matplotlib is needed only to draw.

    Parameters
    ----------
    counts : ndarray of shape (max_count + 1,)
        The counts ``0, ..., max_count``.
    observed : ndarray of shape (max_count + 1,)
        Observed frequency of each count.
    expected : ndarray of shape (max_count + 1,)
        Expected frequency of each count.
    style : {"hanging", "standing"}, default="hanging"
        Where the bars start: hanging from the curve, or standing on zero.
    estimator_name : str, default=None
        Title of the Axes; None draws no title.

    Attributes
    ----------
    bars_ : matplotlib.container.BarContainer
        The bars: heights ``sqrt(observed)``, bottoms ``sqrt(expected) -
        sqrt(observed)`` (hanging) or 0 (standing).
    line_ : matplotlib.lines.Line2D
        The curve ``sqrt(expected)``.
    ax_ : matplotlib.axes.Axes
        Axes with the rootogram.
    figure_ : matplotlib.figure.Figure
        Figure containing the rootogram.

    See Also
    --------
    sklogloss.HurdleRegressor.predict_pmf : the probabilities of a hurdle model.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklogloss.plotting import RootogramDisplay
    >>> pmf = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]])
    >>> disp = RootogramDisplay.from_predictions([0, 2], pmf)
    >>> disp.observed, disp.expected
    (array([1., 0., 1.]), array([0.7, 0.8, 0.5]))
    >>> [round(float(bar.get_height()), 3) for bar in disp.bars_]  # sqrt(observed)
    [1.0, 0.0, 1.0]
    >>> [round(float(bar.get_y()), 3) for bar in disp.bars_]  # sqrt(expected) - sqrt(observed)
    [-0.163, 0.894, -0.293]
    """

    def __init__(self, counts, observed, expected, *, style="hanging", estimator_name=None):
        self.counts = counts
        self.observed = observed
        self.expected = expected
        self.style = style
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, style=None, name=None, bar_kwargs=None, line_kwargs=None):
        """Draw the rootogram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.
        style : {"hanging", "standing"}, default=None
            None uses ``self.style``.
        name : str, default=None
            Title; None uses ``estimator_name``.
        bar_kwargs, line_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.bar` and
            :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        RootogramDisplay
            ``self``, with ``bars_``, ``line_``, ``ax_`` and ``figure_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklogloss.plotting import RootogramDisplay
        >>> disp = RootogramDisplay([0, 1], [4.0, 1.0], [3.0, 2.0]).plot(style="standing", name="model")
        >>> [float(bar.get_y()) for bar in disp.bars_], disp.ax_.get_title()
        ([0.0, 0.0], 'model')
        """
        import matplotlib.pyplot as plt

        style = _check_style(self.style if style is None else style)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        k = np.asarray(self.counts, dtype=np.float64)
        root_obs = np.sqrt(np.asarray(self.observed, dtype=np.float64))
        root_exp = np.sqrt(np.asarray(self.expected, dtype=np.float64))
        bottom = root_exp - root_obs if style == "hanging" else np.zeros_like(root_obs)
        self.bars_ = ax.bar(k, root_obs, bottom=bottom, **{"width": 0.8, "color": "0.75", "edgecolor": "0.35",
                                                            "label": "observed", **(bar_kwargs or {})})
        self.line_ = ax.plot(k, root_exp, **{"marker": "o", "color": "C3", "label": "expected",
                                             **(line_kwargs or {})})[0]
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_xlabel("count")
        ax.set_ylabel("sqrt(frequency)")
        name = self.estimator_name if name is None else name
        if name is not None:
            ax.set_title(name)
        ax.legend(loc="upper right", fontsize="small")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_predictions(cls, y_true, pmf, *, sample_weight=None, style="hanging", name=None, ax=None):
        """Rootogram from observed counts and predicted probabilities of each count.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Observed non-negative integer counts; those above ``max_count``
            have no bar.
        pmf : array-like of shape (n_samples, max_count + 1)
            ``pmf[i, k] = P(y_i = k)`` under the model.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in both frequencies.
        style : {"hanging", "standing"}, default="hanging"
            Where the bars start.
        name : str, default=None
            Title of the Axes.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.

        Returns
        -------
        RootogramDisplay
            The drawn display; ``observed[k]`` is the weight of the samples
            with ``y = k``, ``expected[k]`` is ``sample_weight @ pmf[:, k]``.

        Raises
        ------
        ValueError
            For counts that are not non-negative integers, a ``pmf`` of
            another shape or with negative entries, bad weights or style.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from scipy import stats
        >>> from sklogloss.plotting import RootogramDisplay
        >>> mu = np.array([0.5, 1.0, 2.0])
        >>> pmf = stats.poisson.pmf(np.arange(4)[None, :], mu[:, None])  # a plain Poisson model
        >>> RootogramDisplay.from_predictions([0, 1, 3], pmf, style="standing").observed
        array([1., 1., 0., 1.])
        """
        from .estimators._targets import check_counts
        from .utils.validation import check_sample_weight

        _check_style(style)
        y = check_counts(np.ravel(np.asarray(y_true)))
        pmf = np.asarray(pmf, dtype=np.float64)
        if pmf.ndim != 2 or pmf.shape[0] != y.shape[0] or pmf.shape[1] < 1:
            raise ValueError(f"pmf must have shape (n_samples, max_count + 1) = ({y.shape[0]}, K); got shape "
                             f"{pmf.shape}.")
        if not np.all(np.isfinite(pmf) & (pmf >= 0)):
            raise ValueError("pmf must hold probabilities (finite and non-negative).")
        sw = check_sample_weight(sample_weight, y.shape[0])
        max_count = pmf.shape[1] - 1
        shown = y <= max_count
        observed = np.bincount(y[shown].astype(np.intp), weights=sw[shown], minlength=max_count + 1)
        disp = cls(np.arange(max_count + 1), observed, sw @ pmf, style=style, estimator_name=name)
        return disp.plot(ax=ax)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, max_count=None, offset=None, exposure=None, sample_weight=None,
                       style="hanging", name=None, ax=None):
        """Rootogram of a fitted count model on ``(X, y)``.

        Parameters
        ----------
        estimator : fitted count model
            With ``predict_pmf(X, max_count)``, e.g.
            :class:`~sklogloss.HurdleRegressor`.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            Observed counts.
        max_count : int, default=None
            Largest count drawn; None means ``max(y)``.
        offset, exposure : array-like of shape (n_samples,), default=None
            Passed to ``predict_pmf`` when given (a hurdle's count-part offset).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in both frequencies.
        style : {"hanging", "standing"}, default="hanging"
            Where the bars start.
        name : str, default=None
            Title; None uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.

        Returns
        -------
        RootogramDisplay
            The drawn display.

        Raises
        ------
        ValueError
            If the estimator has no ``predict_pmf``, or for the inputs
            :meth:`from_predictions` refuses.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklogloss import HurdleRegressor
        >>> from sklogloss.plotting import RootogramDisplay
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(500, 1))
        >>> y = np.where(rng.random(500) < 0.4, 0, 1 + rng.poisson(np.exp(0.5 + 0.3 * X[:, 0])))
        >>> disp = RootogramDisplay.from_estimator(HurdleRegressor().fit(X, y), X, y, max_count=8)
        >>> disp.ax_.get_title(), len(disp.bars_)
        ('HurdleRegressor', 9)
        >>> bool(np.isclose(disp.expected[0], disp.observed[0]))  # the zero part fits the zeros exactly
        True
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator)
        if not hasattr(estimator, "predict_pmf"):
            raise ValueError(f"{type(estimator).__name__} has no predict_pmf(X, max_count). Compute the probabilities "
                             "of each count yourself (e.g. scipy.stats.poisson.pmf(k, mu) of a PoissonRegressor's "
                             "predictions) and pass them to RootogramDisplay.from_predictions.")
        if max_count is None:
            from .estimators._targets import check_counts

            max_count = int(np.max(check_counts(np.ravel(np.asarray(y)))))
        params = {key: v for key, v in (("offset", offset), ("exposure", exposure)) if v is not None}
        pmf = estimator.predict_pmf(X, max_count, **params)
        return cls.from_predictions(y, pmf, sample_weight=sample_weight, style=style,
                                    name=type(estimator).__name__ if name is None else name, ax=ax)
