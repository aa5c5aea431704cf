"""Plotting helpers (matplotlib is imported only when one of them is called)."""

from .metrics import calibration_table, expected_calibration_error

__all__ = ["plot_reliability_diagram"]


def plot_reliability_diagram(y_true, probas, n_bins=10, strategy="uniform", ax=None):
    """Reliability diagram: observed frequency against mean predicted probability.

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
        The axes with the diagram; legend entries carry each curve's ECE.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklogloss.plotting import plot_reliability_diagram
    >>> ax = plot_reliability_diagram([0, 1, 1, 0], {"model": [0.1, 0.8, 0.6, 0.3]}, n_bins=2)
    >>> ax.get_xlabel()
    'mean predicted probability'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfectly calibrated")
    for name, p in probas.items():
        pred, obs, _ = calibration_table(y_true, p, n_bins, strategy)
        ece = expected_calibration_error(y_true, p, n_bins, strategy)
        ax.plot(pred, obs, marker="o", label=f"{name} (ECE {ece:.3f})")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize="small")
    return ax
