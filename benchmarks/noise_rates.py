"""Estimated noise transition matrices at low and high noise rates.

Run with ``python benchmarks/noise_rates.py`` (``--help`` for the options;
``--quick`` runs a subset in about a minute). The whole grid takes about six
minutes single-threaded (``OMP_NUM_THREADS=1``).

The problem is ``load_digits`` (10 classes, 64 pixels, standardised on the
training part), 70% stratified training split per seed; the training labels
are corrupted, the test labels are clean. ``--data synthetic`` uses a
10-class ``make_classification`` problem instead, whose classes overlap (a
linear model reaches about 80% on clean labels), unlike the digits (96%).

Noise, ``T[i, j] = P(noisy = j | true = i)``:

* ``pair``: class ``i`` is recorded as ``i + 1 (mod 10)`` with probability ``rate``;
* ``symmetric``: with probability ``rate`` a label becomes any other class, uniformly;
* ``binary``: even vs odd digits, ``rate`` of the even ones recorded as odd and
  10% of the odd ones as even.

Every method ends with the same fit, ``NoiseCorrectedClassifier`` with the
forward correction and ``C=1``; they differ in the transition matrix:

* ``uncorrected``: the identity (multinomial logistic regression on the noisy labels);
* ``known T``: the true ``T``;
* ``confident joint``: ``estimation="confident_joint"``, the default before the EM;
* ``anchor points``: ``estimation="anchor"``;
* ``dual T``: anchor points times the counts of (predicted noisy class, noisy
  label), the "intermediate class" estimator of Yao et al. (2020), from the same
  out-of-fold probabilities;
* ``EM``: ``estimation="em"``, the default;
* ``cleanlab T``: ``cleanlab.count.estimate_noise_matrices`` with scikit-learn's
  ``LogisticRegression`` (same ``C``, 5 folds), its ``noise_matrix`` transposed;
* ``CleanLearning``: cleanlab's own method (prune the labels it finds
  suspicious, refit ``LogisticRegression``), no transition matrix.

The table gives the clean-test accuracy (mean and standard deviation over the
seeds), the paired difference to ``cleanlab T`` (mean over seeds of
accuracy minus its accuracy on the same split) and the error of ``T``: the
largest L1 distance of a row to the true row, ``max_i sum_j |T_hat[i, j] - T[i, j]|``
(mean over seeds; 2 is the largest possible).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.preprocessing import StandardScaler

from sklogloss import NoiseCorrectedClassifier
from sklogloss.noise_estimation import (
    anchor_transition_matrix,
    confident_joint_transition_matrix,
    flip_labels,
    pair_flip_transition_matrix,
    symmetric_transition_matrix,
)

try:
    from cleanlab.classification import CleanLearning
    from cleanlab.count import estimate_noise_matrices
except ImportError:  # cleanlab is optional: its rows are left out
    CleanLearning = estimate_noise_matrices = None

GRID = {
    "pair": [0.1, 0.2, 0.3, 0.4, 0.45],
    "symmetric": [0.1, 0.3, 0.5, 0.6],
    "binary": [0.2, 0.4],
}
QUICK = {"pair": [0.4, 0.45], "symmetric": [0.6], "binary": [0.4]}
METHODS = ["uncorrected", "known T", "confident joint", "anchor points", "dual T", "EM",
           "cleanlab T", "CleanLearning"]


def transition_matrix(kind, rate, n_classes):
    if kind == "pair":
        return pair_flip_transition_matrix(n_classes, rate)
    if kind == "symmetric":
        return symmetric_transition_matrix(n_classes, rate)
    return np.array([[1.0 - rate, rate], [0.1, 0.9]])


def dataset(name, seed):
    if name == "digits":
        return load_digits(return_X_y=True)
    return make_classification(n_samples=2000, n_features=20, n_informative=12, n_redundant=4,
                               n_classes=10, n_clusters_per_class=1, class_sep=1.5,
                               random_state=1000 + seed)


def problem(data, kind, rate, seed):
    """Standardised training data with noisy labels, clean test data, and the true ``T``."""
    X, y = dataset(data, seed)
    if kind == "binary":
        y = y % 2
    T = transition_matrix(kind, rate, np.unique(y).size)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, train_size=0.7, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(X_tr)
    y_noisy = flip_labels(y_tr, T, random_state=seed)
    return scaler.transform(X_tr), y_noisy, scaler.transform(X_te), y_te, T


def dual_t(y_noisy, proba):
    """Anchor points of the noisy posterior times the (argmax, noisy label) counts, rows normalised."""
    K = proba.shape[1]
    counts = np.zeros((K, K))
    np.add.at(counts, (proba.argmax(axis=1), y_noisy), 1.0)
    rows = counts.sum(axis=1, keepdims=True)
    spade = np.divide(counts, rows, out=np.eye(K), where=rows > 0)
    T = anchor_transition_matrix(proba) @ spade
    return T / T.sum(axis=1, keepdims=True)


def run_one(data, kind, rate, seed):
    """Accuracy, error of T and seconds of every method on one split."""
    X, y_noisy, X_te, y_te, T = problem(data, kind, rate, seed)
    out = {}

    def forward(name, T_hat, seconds=0.0):
        start = time.perf_counter()
        clf = NoiseCorrectedClassifier(transition_matrix=T_hat).fit(X, y_noisy)
        error = np.nan if T_hat is None else np.abs(T_hat - T).sum(axis=1).max()
        out[name] = (clf.score(X_te, y_te), error, seconds + time.perf_counter() - start)

    forward("uncorrected", None)
    forward("known T", T)
    start = time.perf_counter()
    cv = StratifiedKFold(5)  # what NoiseCorrectedClassifier(cv=5) uses
    proba = cross_val_predict(NoiseCorrectedClassifier(transition_matrix=None), X, y_noisy, cv=cv,
                              method="predict_proba")
    shared = time.perf_counter() - start
    forward("confident joint", confident_joint_transition_matrix(y_noisy, proba), shared)
    forward("anchor points", anchor_transition_matrix(proba), shared)
    forward("dual T", dual_t(y_noisy, proba), shared)
    start = time.perf_counter()
    em = NoiseCorrectedClassifier(estimation="em").fit(X, y_noisy)
    out["EM"] = (em.score(X_te, y_te), np.abs(em.transition_matrix_ - T).sum(axis=1).max(),
                 time.perf_counter() - start)
    if estimate_noise_matrices is not None:
        start = time.perf_counter()
        noise_matrix, _ = estimate_noise_matrices(X, y_noisy, clf=LogisticRegression(max_iter=1000),
                                                  cv_n_folds=5, seed=seed)
        forward("cleanlab T", noise_matrix.T, time.perf_counter() - start)  # cleanlab's is T^T
        start = time.perf_counter()
        cleaned = CleanLearning(LogisticRegression(max_iter=1000), seed=seed).fit(X, y_noisy)
        out["CleanLearning"] = (cleaned.score(X_te, y_te), np.nan, time.perf_counter() - start)
    return out


def fmt(values, digits=3):
    values = np.asarray(values, dtype=float)
    if np.all(np.isnan(values)):
        return ""
    return f"{np.nanmean(values):.{digits}f} ± {np.nanstd(values):.{digits}f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="splits and noise draws per setting (default 5)")
    parser.add_argument("--noise", nargs="+", choices=list(GRID), default=list(GRID),
                        help="kinds of noise (default: all)")
    parser.add_argument("--rates", type=float, nargs="+", default=None,
                        help="noise rates for every kind (default: the grid of each kind)")
    parser.add_argument("--data", choices=["digits", "synthetic"], default="digits")
    parser.add_argument("--quick", action="store_true",
                        help="3 seeds, pair 40%% and 45%%, symmetric 60%%, binary 40%%")
    args = parser.parse_args(argv)
    grid = QUICK if args.quick else GRID
    seeds = range(3 if args.quick else args.seeds)
    settings = [(kind, rate) for kind in args.noise for rate in (args.rates or grid[kind])]

    begin = time.perf_counter()
    header = (f"{'noise':<10} {'rate':>5}  {'method':<16} {'accuracy':>15}  {'vs cleanlab T':>15}  "
              f"{'error of T':>13}  {'seconds':>7}")
    print(f"{args.data}, {len(seeds)} seeds; accuracy on clean test labels; error of T: max row L1")
    print(header)
    print("-" * len(header))
    for kind, rate in settings:
        runs = []
        for seed in seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.filterwarnings("ignore", module="cleanlab")
                runs.append(run_one(args.data, kind, rate, seed))
        for method in METHODS:
            if method not in runs[0]:
                continue
            acc, err, sec = (np.array([run[method][k] for run in runs]) for k in range(3))
            paired = ""
            if "cleanlab T" in runs[0] and method != "cleanlab T":
                diff = acc - np.array([run["cleanlab T"][0] for run in runs])
                paired = f"{diff.mean():+.3f} ± {diff.std():.3f}"
            print(f"{kind:<10} {rate:>5.2f}  {method:<16} {fmt(acc):>15}  {paired:>15}  "
                  f"{fmt(err, 2):>13}  {sec.mean():>7.2f}", flush=True)
        print()
    print(f"total {time.perf_counter() - begin:.0f} s")


if __name__ == "__main__":
    main()
