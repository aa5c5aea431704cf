"""
Fitting on a dask.distributed cluster without gathering X
==========================================================

:class:`~sklogloss.LogisticClassifier` and :class:`~sklogloss.SoftmaxClassifier`
fit dask arrays where they live. Each row block of X stays on its worker,
where the estimator's own objective factory turns it into the block's
objective; a solver's request (a value and gradient, or a Hessian) runs on
every block and only numbers of the size of the coefficients come back to the
client, which adds them and the penalty. The fit is the in-memory fit: same
objective, same solver, same coefficients.

This example starts a cluster of two worker processes on this machine,
fits a multinomial model with sample weights on a chunked dask array, checks
it against the in-memory fit, and predicts lazily.
"""

# %%
# A cluster and a chunked data set
# --------------------------------
# ``da.random`` builds the blocks on the workers: the client never holds X.
import time

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster

from sklogloss import SoftmaxClassifier

# Worker processes are forked from this one: a script without a ``__main__`` guard
# would be run again by each worker under the default "spawn" method.
dask.config.set({"distributed.worker.multiprocessing-method": "fork"})
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                       dashboard_address=None)
client = Client(cluster)

n, p, K = 200_000, 10, 4
rs = da.random.RandomState(0)
X = rs.normal(size=(n, p), chunks=(25_000, p))
W = np.random.default_rng(1).normal(size=(K, p))
scores = X @ W.T
# Class = argmax of scores plus Gumbel noise: multinomial logistic labels.
y = da.argmax(scores - da.log(-da.log(rs.uniform(size=(n, K), chunks=(25_000, K)))), axis=1)
sample_weight = rs.exponential(size=n, chunks=25_000)
X, y, sample_weight = client.persist([X, y, sample_weight])
print(f"X: {X.shape}, {X.numblocks[0]} row blocks on {len(client.scheduler_info()['workers'])} workers")

# %%
# Fit on the cluster
# ------------------
model = SoftmaxClassifier(C=1.0)
start = time.perf_counter()
model.fit(X, y, sample_weight=sample_weight)
dask_seconds = time.perf_counter() - start
print(f"dask fit: {dask_seconds:.2f} s, {model.n_iter_[0]} Newton iterations, solver {model.solver_!r}")

# %%
# The same fit in memory
# ----------------------
# Only to check the result: this gathers the data, which a real cluster's data
# would not allow.
X_mem, y_mem, sw_mem = client.compute([X, y, sample_weight], sync=True)
reference = SoftmaxClassifier(C=1.0).fit(X_mem, y_mem, sample_weight=sw_mem)
difference = float(np.max(np.abs(model.coef_ - reference.coef_)))
print(f"largest coefficient difference to the in-memory fit: {difference:.1e}")

# %%
# Lazy predictions
# ----------------
# Predictions on a dask array are dask arrays, computed block by block when asked.
# The intercepts are not penalised, so at the optimum the weighted mean of the
# predicted probabilities equals the weighted share of each class.
proba = model.predict_proba(X)
print(type(proba).__name__, proba.shape, proba.chunksize)
mean_proba = ((proba * sample_weight[:, None]).sum(axis=0) / sample_weight.sum()).compute()
print("weighted mean predicted probabilities:", np.round(mean_proba, 4))

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
axes[0].scatter(reference.coef_.ravel(), model.coef_.ravel(), s=12)
lims = [reference.coef_.min() - 0.1, reference.coef_.max() + 0.1]
axes[0].plot(lims, lims, color="grey", lw=1)
axes[0].set(xlabel="in-memory coef_", ylabel="dask coef_",
            title=f"Same model (max difference {difference:.0e})")
observed = np.bincount(y_mem, weights=sw_mem, minlength=K) / sw_mem.sum()
axes[1].bar(np.arange(K) - 0.2, observed, width=0.4, label="weighted class shares")
axes[1].bar(np.arange(K) + 0.2, mean_proba, width=0.4, label="weighted mean predict_proba")
axes[1].set(xlabel="class", title="Lazy predictions, computed on the workers")
axes[1].legend()
fig.tight_layout()

client.close()
cluster.close()
