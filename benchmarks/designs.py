"""Designs beyond ``run.py``'s problems: shapes and data the solvers were not tuned on.

Each design is fitted by our estimator at its defaults (``solver="auto"``) and by
every solver of scikit-learn's ``LogisticRegression``, in one process, warm (the
first fit of each contender is discarded). As in ``run.py``, a contender runs
on the same ladder of ``tol`` (loosest first) until it reaches the best objective
within 1e-8 (relative); a solver whose loosest fit already takes 30 times ours
is left out. The ratio is the median time of the fastest contender at the
target over ours (medians of ``--rounds`` interleaved fits). Ratios below 1
are where scikit-learn is faster: they are printed, not hidden.

Usage: ``python benchmarks/designs.py [--rounds 5] [--designs NAME ...]``.
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import scipy.sparse as sp
from run import TOL_LADDER, objective_of  # benchmarks/run.py: the same objective and ladder
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklogloss import LogisticClassifier, SoftmaxClassifier

SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky", "liblinear", "sag", "saga")


def _sparse(n, p, density, seed, noise=1.0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, random_state=seed, format="csr")
    return X, (X @ rng.normal(size=p) + noise * rng.logistic(size=n) > 0).astype(int)


def _scaled(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


DESIGNS = {
    "tall dense 1M x 5": (lambda: make_classification(1_000_000, 5, n_informative=3, n_redundant=0,
                                                      random_state=0), 1.0),
    "dense 300k x 20, 3 classes": (lambda: make_classification(300_000, 20, n_informative=10, n_classes=3,
                                                               random_state=0), 1.0),
    "dense 30k x 300, 8 classes": (lambda: make_classification(30_000, 300, n_informative=30, n_classes=8,
                                                               n_clusters_per_class=1, random_state=0), 1.0),
    "dense p > n, 200 x 500": (lambda: make_classification(200, 500, n_informative=20, random_state=0), 1.0),
    "dense p = n / 2, 2,000 x 1,000": (lambda: make_classification(2000, 1000, n_informative=50,
                                                                   random_state=0), 1.0),
    "dense near-separable 5,000 x 50, C=100": (lambda: make_classification(
        5000, 50, n_informative=50, n_redundant=0, class_sep=3, random_state=0), 100.0),
    "breast cancer, standardised, C=1000": (lambda: _scaled(load_breast_cancer), 1000.0),
    "digits, raw pixels, C=0.01": (lambda: load_digits(return_X_y=True), 0.01),
    "sparse 20k x 2k, 1% dense": (lambda: _sparse(20_000, 2000, 0.01, 0), 1.0),
    "sparse p >> n, 2k x 20k": (lambda: _sparse(2000, 20_000, 0.005, 1, noise=0.3), 1.0),
    "tiny dense 100 x 5": (lambda: make_classification(100, 5, random_state=0), 1.0),
}


def timed(make, X, y):
    est = make()
    t0 = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - t0, est


def run_design(name, rounds):
    make_data, C = DESIGNS[name]
    X, y = make_data()
    K = len(np.unique(y))
    kind = "binary" if K == 2 else "multinomial"
    ours = lambda: (LogisticClassifier if K == 2 else SoftmaxClassifier)(C=C)  # noqa: E731
    timed(ours, X, y)
    t_ours, est = timed(ours, X, y)
    best = objective_of(est, X, y, C, kind)
    chosen = {}
    for solver in SOLVERS:
        if solver == "liblinear" and K > 2:
            continue
        for tol in TOL_LADDER:
            make = lambda s=solver, t=tol: LogisticRegression(C=C, solver=s, tol=t, max_iter=100_000)  # noqa: E731
            t, sk = timed(make, X, y)
            if t > 30 * t_ours:
                break
            f = objective_of(sk, X, y, C, kind)
            best = min(best, f)
            if f <= best + 1e-8 * abs(best):
                chosen[f"{solver} (tol={tol:g})"] = make
                break
    times = {label: [] for label in ["sklogloss", *chosen]}
    makers = {"sklogloss": ours, **chosen}
    objectives = {}
    for _ in range(rounds):
        for label, make in makers.items():
            t, fitted = timed(make, X, y)
            times[label].append(t)
            objectives[label] = objective_of(fitted, X, y, C, kind)
    ok = {label: statistics.median(ts) for label, ts in times.items() if label != "sklogloss"
          and objectives[label] <= min(objectives.values()) + 1e-8 * abs(min(objectives.values()))}
    t_ours = statistics.median(times["sklogloss"])
    shape = f"{X.shape[0]} x {X.shape[1]}{' sparse' if sp.issparse(X) else ''}, K={K}"
    if not ok:
        print(f"{name:42s} {shape:24s} ours {t_ours * 1e3:8.1f} ms ({est.solver_}); no contender at the target")
        return None
    label = min(ok, key=ok.get)
    ratio = ok[label] / t_ours
    print(f"{name:42s} {shape:24s} ours {t_ours * 1e3:8.1f} ms ({est.solver_:15s}) "
          f"{label:28s} {ok[label] * 1e3:8.1f} ms  ratio {ratio:5.2f}", flush=True)
    return ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--designs", nargs="*", default=list(DESIGNS), choices=list(DESIGNS), metavar="NAME")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"# Designs beyond run.py's problems ({args.rounds} interleaved warm fits, median; "
          f"contenders at the best objective within 1e-8)")
    ratios = [r for r in (run_design(name, args.rounds) for name in args.designs) if r is not None]
    if ratios:
        print(f"range of ratios over these designs: {min(ratios):.2f}x to {max(ratios):.2f}x")


if __name__ == "__main__":
    main()
