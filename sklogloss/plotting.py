"""Plotting helpers (matplotlib is imported only when something is drawn)."""

import numpy as np

from .metrics import _table_ece, calibration_table

__all__ = ["ReliabilityDisplay", "plot_reliability_diagram"]

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
