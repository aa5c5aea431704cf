"""
===================================================
Fitting from a file larger than memory: partial_fit
===================================================

:meth:`~sklogloss.LogisticClassifier.partial_fit` fits a model on data that
arrive in chunks. Each call minimises the loss of its chunk exactly, plus the
second-order Taylor expansions of the chunks seen before, with the same ``C``
as :meth:`~sklogloss.LogisticClassifier.fit` on all of them (incremental
Newton; see :doc:`/streaming`). A chunk seen again in a later pass replaces
its earlier expansion, so passes over the same chunks converge to the
full-batch model.

Here the data live in a ``numpy.memmap`` file of 200,000 rows, read 10,000
rows at a time: three passes over its 20 chunks, with the log loss on all
the data after every chunk, against the full-batch fit.
"""

# %%
# A data file on disk
# -------------------
# The file is written block by block, as a data pipeline would, into a
# temporary directory: a float32 ``.npy`` file opened as a memory map (a
# ``numpy.memmap``), labels in a second file. The rows are in random order, so
# that each chunk is a sample of the whole (on sorted data, e.g. by class, the
# first pass is poor and later passes repair it).
import os
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import log_loss

from sklogloss import LogisticClassifier

n_samples, n_features, chunk_size = 200_000, 50, 10_000
rng = np.random.default_rng(0)
true_coef = rng.normal(size=n_features) / np.sqrt(n_features)
scales = rng.uniform(0.5, 3.0, size=n_features)

tmp = tempfile.TemporaryDirectory()
X_path, y_path = os.path.join(tmp.name, "X.npy"), os.path.join(tmp.name, "y.npy")
X_out = np.lib.format.open_memmap(X_path, mode="w+", dtype=np.float32, shape=(n_samples, n_features))
y_out = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.int8, shape=(n_samples,))
for start in range(0, n_samples, 50_000):
    block = rng.normal(size=(50_000, n_features)) * scales
    logit = 2 * block @ (true_coef / scales) - 0.5
    X_out[start:start + 50_000] = block
    y_out[start:start + 50_000] = rng.uniform(size=50_000) < 1 / (1 + np.exp(-logit))
X_out.flush()
y_out.flush()
del X_out, y_out

X = np.load(X_path, mmap_mode="r")  # nothing is read yet
y = np.load(y_path, mmap_mode="r")
print(f"{type(X).__name__} of shape {X.shape}, {X.dtype}: {os.path.getsize(X_path) / 1e6:.0f} MB on disk, "
      f"read {chunk_size} rows ({chunk_size * n_features * 4 / 1e6:.0f} MB) at a time")
chunks = [slice(start, start + chunk_size) for start in range(0, n_samples, chunk_size)]


def streamed_log_loss(clf):
    """Log loss on all the data, one chunk in memory at a time (``log(1 + exp(-margin))`` per row)."""
    total = 0.0
    for rows in chunks:
        margin = (2.0 * y[rows] - 1.0) * clf.decision_function(X[rows])
        total += np.logaddexp(0.0, -margin).sum()
    return total / n_samples


# %%
# Three passes over the chunks
# ----------------------------
# The first call names the classes (a chunk need not hold all of them). ``C``
# multiplies the sum of the losses of all the distinct rows seen, as in
# ``fit``. The chunks are the same slices in every pass: a chunk seen again is
# recognised by its content and replaces its earlier term.
C = 1.0
clf = LogisticClassifier(C=C)
history, seconds = [], []
for n_pass in range(3):
    for rows in chunks:
        start = time.perf_counter()
        clf.partial_fit(X[rows], y[rows], classes=[0, 1])
        seconds.append(time.perf_counter() - start)
        history.append(streamed_log_loss(clf))
    print(f"pass {n_pass + 1}: log loss {history[-1]:.10f}")
print(f"{np.mean(seconds) * 1e3:.0f} ms per chunk of {chunk_size} rows")

# %%
# The full-batch fit
# ------------------
# ``fit`` on all the rows at once (it reads the whole file into memory: 40 MB
# here, which is what ``partial_fit`` avoids).
full = LogisticClassifier(C=C).fit(np.asarray(X), np.asarray(y))
full_loss = streamed_log_loss(full)
print(f"full batch: log loss {full_loss:.10f} (scikit-learn's log_loss: "
      f"{log_loss(y, full.predict_proba(X)):.10f})")
print(f"after 3 passes: log loss / full batch = {history[-1] / full_loss:.10f}, "
      f"max |coef difference| = {np.abs(clf.coef_ - full.coef_).max():.1e}")

# %%
# Progress
# --------
# The log loss after every chunk (left) and its distance to the full-batch
# fit's (right, log scale). During the first pass the model has seen only part
# of the data; at the end of it the chunks' expansions were taken at changing
# coefficients, and the model is already close. Each later pass re-expands
# every chunk at better coefficients: the distance shrinks by orders of
# magnitude per pass (the method converges superlinearly near the solution).
chunks_seen = np.arange(1, len(history) + 1)
fig, (ax, ax_log) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax.plot(chunks_seen, history, marker=".", label="partial_fit")
ax.axhline(full_loss, color="k", linestyle="--", label="fit (full batch)")
ax.set_ylim(full_loss - 0.0005, max(history) + 0.0005)
ax.set_xlabel("chunks processed")
ax.set_ylabel("log loss on all the data")
ax.legend()
ax_log.semilogy(chunks_seen, np.maximum(np.abs(np.array(history) - full_loss), 1e-16), marker=".")
ax_log.set_xlabel("chunks processed")
ax_log.set_ylabel("|log loss - full-batch log loss|")
for edge in (20, 40):
    for axis in (ax, ax_log):
        axis.axvline(edge + 0.5, color="0.8", linewidth=1)
fig.suptitle(f"3 passes over {len(chunks)} chunks of a memory-mapped file")
plt.show()

# %%
tmp.cleanup()
