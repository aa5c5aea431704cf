"""What a hurdle's two parts see: their columns of X, and the count part's offset.

R's ``pscl::hurdle(y ~ x | z, offset = o)`` gives each part its own
regressors and the count part an offset; :class:`~sklogloss.HurdleRegressor`
takes column selectors (``zero_features``, ``count_features``) and an
``offset`` (or ``exposure``) argument. This module turns them into arrays.
"""

import numpy as np

__all__ = ["resolve_features", "resolve_offset", "take_columns"]


def resolve_features(selector, n_features, feature_names, param):
    """The sorted column indices that ``selector`` picks out of ``n_features`` columns.

    Parameters
    ----------
    selector : array-like of int, str or bool, or None
        Column indices, column names (of ``feature_names``) or a boolean mask
        of length ``n_features``; ``None`` means every column.
    n_features : int
        Number of columns of X.
    feature_names : ndarray of str or None
        The estimator's ``feature_names_in_`` (``None`` when X had no names).
    param : str
        Name of the parameter, for the error messages.

    Returns
    -------
    ndarray of shape (n_selected,), dtype intp
        Increasing column indices, at least one.

    Raises
    ------
    ValueError
        For unknown names, names without a DataFrame, out-of-range or repeated
        indices, a mask of the wrong length, another dtype, or an empty
        selection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.estimators._hurdle_features import resolve_features
    >>> resolve_features([2, 0], 3, None, "zero_features")
    array([0, 2])
    >>> resolve_features(["b"], 3, np.array(["a", "b", "c"], dtype=object), "count_features")
    array([1])
    >>> resolve_features([True, False, True], 3, None, "zero_features")
    array([0, 2])
    """
    if selector is None:
        return np.arange(n_features, dtype=np.intp)
    sel = np.asarray(selector)
    if sel.ndim != 1:
        raise ValueError(f"{param} must be a 1-D list of column indices, column names or a boolean mask; "
                         f"got an array of shape {sel.shape}.")
    if sel.size == 0:
        raise ValueError(f"{param} selects no column. Each part of the hurdle needs at least one column of X; "
                         f"pass None to use every column.")
    if sel.dtype == bool:
        if sel.shape != (n_features,):
            raise ValueError(f"{param} is a boolean mask of length {sel.size}, but X has {n_features} columns; "
                             "pass one entry per column (True = used).")
        if not sel.any():
            raise ValueError(f"{param} is a mask without a True entry: it selects no column. Each part of the "
                             "hurdle needs at least one column of X; pass None to use every column.")
        return np.flatnonzero(sel).astype(np.intp)
    if sel.dtype.kind in "iu":
        bad = sel[(sel < 0) | (sel >= n_features)]
        if bad.size:
            raise ValueError(f"{param} has column indices out of range for X with {n_features} columns: "
                             f"{bad.tolist()}. Pass indices in 0..{n_features - 1}.")
        idx = sel.astype(np.intp)
    elif sel.dtype.kind in "UO" and all(isinstance(s, str) for s in sel.tolist()):
        if feature_names is None:
            raise ValueError(f"{param} names columns ({sel.tolist()[:3]}...), but X has no column names: fit "
                             "on a pandas DataFrame with string column names, or pass column indices or a "
                             "boolean mask.")
        names = [str(n) for n in feature_names]
        unknown = [s for s in sel.tolist() if s not in names]
        if unknown:
            raise ValueError(f"{param} names columns that X does not have: {unknown}. X's columns are "
                             f"{names}.")
        idx = np.array([names.index(s) for s in sel.tolist()], dtype=np.intp)
    else:
        raise ValueError(f"{param} must hold column indices (int), column names (str) or booleans (a mask); "
                         f"got values of dtype {sel.dtype}.")
    unique, counts = np.unique(idx, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(f"{param} selects columns more than once: {unique[counts > 1].tolist()}. Name each "
                         "column once.")
    return unique


def take_columns(X, columns):
    """``X[:, columns]`` (CSR stays CSR); ``X`` itself when ``columns`` are all of them, in order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.estimators._hurdle_features import take_columns
    >>> X = np.arange(6.0).reshape(2, 3)
    >>> take_columns(X, np.array([0, 2]))
    array([[0., 2.],
           [3., 5.]])
    >>> take_columns(X, np.arange(3)) is X
    True
    """
    if columns.size == X.shape[1] and np.array_equal(columns, np.arange(X.shape[1])):
        return X
    return X[:, columns]


def resolve_offset(offset, exposure, n_samples):
    """The count part's offset: ``offset``, or ``log(exposure)``, or None.

    Parameters
    ----------
    offset : array-like of shape (n_samples,) or None
        Known term of ``log(mu)``.
    exposure : array-like of shape (n_samples,) or None
        Positive exposures (time at risk, area, population); the offset is
        ``log(exposure)``.
    n_samples : int
        Number of samples.

    Returns
    -------
    ndarray of shape (n_samples,) or None
        The offset in float64; ``None`` when neither is given.

    Raises
    ------
    ValueError
        When both are given, for a wrong shape, a non-finite offset or a
        non-positive exposure.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.estimators._hurdle_features import resolve_offset
    >>> resolve_offset(None, [1.0, np.e], 2)
    array([0., 1.])
    >>> resolve_offset(None, None, 2) is None
    True
    """
    if offset is not None and exposure is not None:
        raise ValueError("Pass offset or exposure, not both: the offset is log(exposure). Add log(exposure) "
                         "to the offset yourself if you need both.")
    if offset is None and exposure is None:
        return None
    name, values = ("offset", offset) if offset is not None else ("exposure", exposure)
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (n_samples,):
        raise ValueError(f"{name} must have one value per sample, shape ({n_samples},); got shape {values.shape}.")
    if name == "exposure":
        if not np.all(np.isfinite(values) & (values > 0)):
            raise ValueError("exposure must be positive and finite (it enters as log(exposure)); pass offset= "
                             "for a term of log(mu) that may be negative.")
        return np.log(values)
    if not np.all(np.isfinite(values)):
        raise ValueError("offset must be finite; for an exposure t > 0 pass exposure=t (or offset=log(t)).")
    return values
