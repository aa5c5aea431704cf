"""Fits on dask arrays on a dask.distributed LocalCluster equal the in-memory fits; X is never gathered."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklogloss import LogisticClassifier, NoiseCorrectedClassifier, SoftmaxClassifier  # noqa: E402


def test_dask_without_a_client_raises():
    # First in the module: the module's cluster does not exist yet.
    X, y2, _, _ = _data(n=500)
    with pytest.raises(ValueError, match="no client is running"):
        LogisticClassifier().fit(_dask(X), _dask(y2))


@pytest.fixture(scope="module")
def client():
    """A cluster of two worker processes on 127.0.0.1, started and closed by this module.

    (One cluster for the module: each worker process imports the package once, which
    costs more than a fit of these sizes.)
    """
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def no_gather(monkeypatch):
    """Make every conversion of a dask array to numpy on the client fail."""
    def refuse(*args, **kwargs):
        raise AssertionError("a dask array was gathered on the client")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    monkeypatch.setattr(da.Array, "compute", refuse)
    monkeypatch.setattr(da.Array, "__len__", refuse)


def _data(n=6000, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    W = rng.normal(size=(3, p))
    scores = X @ W.T
    y3 = np.array([rng.choice(3, p=np.exp(s) / np.exp(s).sum()) for s in scores])
    y2 = (scores[:, 0] + rng.logistic(size=n) > 0).astype(int)
    return X, y2, y3, rng


def _dask(a, rows=1000):
    return da.from_array(a, chunks=(rows,) + a.shape[1:])


CASES = {
    "binary": lambda X, y2, y3, rng: (LogisticClassifier(C=1.0), y2, None),
    "binary-l1": lambda X, y2, y3, rng: (LogisticClassifier(C=0.05, l1_ratio=1.0), y2, None),
    "binary-unpenalised": lambda X, y2, y3, rng: (LogisticClassifier(C=np.inf), y2, None),
    "soft": lambda X, y2, y3, rng: (LogisticClassifier(C=2.0), np.clip(0.8 * y2 + 0.1 + 0.05 * rng.normal(
        size=y2.size), 0, 1), None),
    "one-vs-rest-balanced": lambda X, y2, y3, rng: (LogisticClassifier(C=1.0, class_weight="balanced"), y3,
                                                    None),
    "binary-weights-smoothing": lambda X, y2, y3, rng: (LogisticClassifier(C=1.0, label_smoothing=0.1), y2,
                                                        rng.exponential(size=y2.size)),
    "multinomial": lambda X, y2, y3, rng: (SoftmaxClassifier(C=1.0), y3, None),
    "multinomial-weights-balanced": lambda X, y2, y3, rng: (
        SoftmaxClassifier(C=0.5, class_weight="balanced"), y3, rng.exponential(size=y3.size)),
    "multinomial-proba-targets": lambda X, y2, y3, rng: (SoftmaxClassifier(C=1.0), rng.dirichlet(
        np.ones(3), size=y3.size), None),
    "multinomial-string-labels": lambda X, y2, y3, rng: (SoftmaxClassifier(C=1.0, class_weight={"b": 2.0}),
                                                         np.array(["a", "b", "c"])[y3], None),
    "noise-given-T": lambda X, y2, y3, rng: (NoiseCorrectedClassifier(
        transition_matrix=np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]), C=1.0), y3, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dask_fit_equals_in_memory_fit(client, no_gather, case):
    X, y2, y3, rng = _data()
    estimator, y, sw = CASES[case](X, y2, y3, rng)
    reference = estimator.__class__(**estimator.get_params()).fit(X, y, sample_weight=sw)
    # Uneven row chunks, and y and sample_weight as dask arrays of other chunks.
    Xd = da.from_array(X, chunks=((1500, 1000, 2500, 1000), X.shape[1]))
    yd = _dask(y, rows=2000)
    swd = None if sw is None else _dask(sw, rows=3000)
    model = estimator.fit(Xd, yd, sample_weight=swd)
    assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-6)
    assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-6)
    assert np.array_equal(model.classes_, reference.classes_)
    assert model.n_features_in_ == X.shape[1]


def test_dask_predictions_are_lazy_and_equal(client):
    X, y2, y3, _ = _data(n=3000)
    model = SoftmaxClassifier(C=1.0).fit(_dask(X), _dask(y3))
    reference = SoftmaxClassifier(C=1.0).fit(X, y3)
    for method in ("decision_function", "predict_proba", "predict_log_proba", "predict"):
        lazy = getattr(model, method)(_dask(X, rows=700))
        assert isinstance(lazy, da.Array), method
        assert lazy.shape == getattr(reference, method)(X).shape
        expected = getattr(reference, method)(X)
        if method == "predict":
            assert np.mean(lazy.compute() == expected) > 0.999
        else:
            assert_allclose(lazy.compute(), expected, atol=1e-6)
    binary = LogisticClassifier().fit(_dask(X), _dask(y2))
    assert_allclose(binary.decision_function(_dask(X)).compute(), LogisticClassifier().fit(X, y2)
                    .decision_function(X), atol=1e-6)


def test_dask_float32_and_in_memory_y(client):
    X, y2, _, _ = _data(n=4000)
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        # the blocks score in float64 arithmetic: the default tol is reached, as in memory
        warnings.simplefilter("error", ConvergenceWarning)
        model = LogisticClassifier(C=1.0).fit(_dask(X32), y2)  # numpy y of the right length is accepted
    reference = LogisticClassifier(C=1.0).fit(X32, y2)
    assert_allclose(model.coef_, reference.coef_, atol=1e-6)


def test_dask_separated_data_warns(client):
    X = np.r_[np.linspace(-3, -1, 50), np.linspace(1, 3, 50)][:, None]
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(UserWarning, match="separat"):
        LogisticClassifier(C=np.inf, max_iter=30).fit(_dask(X, rows=30), _dask(y, rows=30))


def test_dask_bad_input_raises(client):
    X, y2, _, _ = _data(n=2000)
    Xd = _dask(X)
    with pytest.raises(ValueError, match="one entry per row"):
        LogisticClassifier().fit(Xd, y2[:-5])
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        LogisticClassifier().fit(Xd[Xd[:, 0] > 0], _dask(y2)[Xd[:, 0] > 0])
    with pytest.raises(ValueError, match="chunked along its columns"):
        LogisticClassifier().fit(da.from_array(X, chunks=(500, 2)), _dask(y2))
    with pytest.raises(ValueError, match="newton-cg"):
        LogisticClassifier(solver="newton-cg").fit(Xd, _dask(y2))
    with pytest.raises(ValueError, match="Adversarial"):
        LogisticClassifier(adversarial_epsilon=0.1).fit(Xd, _dask(y2))
    with pytest.raises(ValueError, match="NaN or infinity"):
        X_nan = X.copy()
        X_nan[1500, 2] = np.nan
        LogisticClassifier().fit(_dask(X_nan), _dask(y2))
    with pytest.raises(ValueError, match="not seen in fit|at least 2 classes"):
        LogisticClassifier().fit(Xd, _dask(np.zeros(2000, dtype=int)))
    with pytest.raises(ValueError, match="non-negative"):
        LogisticClassifier().fit(Xd, _dask(y2), sample_weight=_dask(-np.ones(2000)))
    with pytest.raises(ValueError, match="Estimating transition_matrix"):
        NoiseCorrectedClassifier(transition_matrix="estimate").fit(Xd, _dask(y2))
    model = LogisticClassifier().fit(Xd, _dask(y2))
    with pytest.raises(ValueError, match="expecting 6 features"):
        model.predict(_dask(X[:, :4]))


def test_joblib_dask_backend_grid_search_equals_sequential(client):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, _, y3, _ = _data(n=600)
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    sequential = GridSearchCV(SoftmaxClassifier(), grid, cv=3, scoring="neg_log_loss").fit(X, y3)
    with joblib.parallel_backend("dask"):
        parallel = GridSearchCV(SoftmaxClassifier(), grid, cv=3, scoring="neg_log_loss", n_jobs=-1).fit(X, y3)
    assert parallel.best_params_ == sequential.best_params_
    assert_allclose(parallel.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"],
                    rtol=1e-10)
    assert_allclose(parallel.best_estimator_.coef_, sequential.best_estimator_.coef_, rtol=1e-10)


def test_dask_tall_data_uses_a_row_sample_and_equals_in_memory(client, no_gather):
    # n > 4 * 20,000 rows: Newton-Cholesky's Hessian comes from a row sample (row_subset).
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100_000, 4))
    y = (X @ np.array([1.0, -0.5, 0.25, 0.0]) + rng.logistic(size=100_000) > 0).astype(int)
    sw = rng.exponential(size=100_000)
    reference = LogisticClassifier(C=0.01).fit(X, y, sample_weight=sw)
    model = LogisticClassifier(C=0.01).fit(_dask(X, rows=30_000), _dask(y, rows=30_000),
                                           sample_weight=_dask(sw, rows=30_000))
    assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert_allclose(model.intercept_, reference.intercept_, atol=1e-6)


def test_dask_block_without_weight_is_dropped(client, no_gather):
    # The second block has weight zero: the objective is summed over the others only.
    X, y2, _, rng = _data(n=4000)
    sw = rng.exponential(size=4000)
    sw[1000:2000] = 0.0
    reference = LogisticClassifier(C=1.0).fit(X, y2, sample_weight=sw)
    model = LogisticClassifier(C=1.0).fit(_dask(X), _dask(y2), sample_weight=_dask(sw))
    assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert_allclose(model.intercept_, reference.intercept_, atol=1e-6)


@pytest.mark.parametrize("estimator", [SoftmaxClassifier(), LogisticClassifier(),
                                       LogisticClassifier(adversarial_epsilon=0.1)],
                         ids=["softmax", "logistic", "adversarial"])
def test_worker_blocks_keep_no_float32_copy(estimator):
    # A small in-memory X keeps a float32 copy for approximate products; a worker's row
    # block must not (its memory holds X's blocks and nothing of their size).
    from sklogloss.estimators._distributed import _block_objectives

    X, y2, y3, _ = _data(n=500)
    y = y3 if isinstance(estimator, SoftmaxClassifier) else y2
    estimator._targets = estimator._target_encoder()
    estimator._targets.fit(y)
    for objective in _block_objectives(estimator, X, y, None):
        linear = getattr(objective, "base", objective)  # (the adversarial objective wraps one)
        grad, hessp = linear.gradient_hessp(linear.zero_coef(), approximate=True)
        hessp(np.ones(grad.size))
        assert linear.design._X32 is None and linear.design.approximate_X() is None
