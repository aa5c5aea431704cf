"""
Gradient descent on separable data finds the max-margin direction
=================================================================

On linearly separable data the logistic loss has no minimiser: it keeps
decreasing as the weights grow. Plain gradient descent does not stop, but the
*direction* of its weights converges to the hard-margin SVM direction
(Soudry et al., 2018, "The implicit bias of gradient descent on separable
data"), only logarithmically fast: ``||w_t||`` grows like ``log t``.

This example runs :class:`~sklogloss.LogisticClassifier` with ``solver="gd"``
and ``C=np.inf`` for more and more iterations and compares the direction with
a hard-margin linear SVM.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.svm import SVC

from sklogloss import LogisticClassifier

# Separable data, symmetric through the origin so that the max-margin
# separator passes through it (no intercept on either side).
rng = np.random.default_rng(0)
n = 50
P = np.column_stack([rng.uniform(0.3, 3, n), rng.normal(0, 2.0, n)])
P[:, 0] += 0.3 * P[:, 1]
X = np.vstack([P, -P])
y = np.r_[np.ones(n), np.zeros(n)].astype(int)

svm = SVC(kernel="linear", C=1e8).fit(X, y)
w_svm = svm.coef_[0] / np.linalg.norm(svm.coef_[0])

# warm_start continues gradient descent where the previous fit stopped.
clf = LogisticClassifier(C=np.inf, solver="gd", fit_intercept=False, warm_start=True, tol=0)
checkpoints = np.unique(np.logspace(0, 5, 16).astype(int))
angles, norms, done = [], [], 0
for t in checkpoints:
    with warnings.catch_warnings():
        # No minimiser exists: every fit warns that it did not converge.
        warnings.simplefilter("ignore")
        clf.set_params(max_iter=int(t - done)).fit(X, y)
    done = t
    w = clf.coef_[0]
    norms.append(np.linalg.norm(w))
    angles.append(np.degrees(np.arccos(np.clip(w @ w_svm / np.linalg.norm(w), -1, 1))))

fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 4))
ax1.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=15)
grid = np.linspace(-4, 4, 2)
for w, label in ((clf.coef_[0], f"gradient descent, {checkpoints[-1]} steps"), (w_svm, "max-margin SVM")):
    ax1.plot(grid, -w[0] / w[1] * grid, label=label)
ax1.set_ylim(-6, 6)
ax1.legend(fontsize="small")
ax1.set_title("Separable data")
ax2.semilogx(checkpoints, angles, marker="o")
ax2.set_xlabel("gradient descent steps")
ax2.set_ylabel("angle to the max-margin direction (degrees)")
ax2.set_title("The direction converges...")
ax3.semilogx(checkpoints, norms, marker="o")
ax3.set_xlabel("gradient descent steps")
ax3.set_ylabel("||w||")
ax3.set_title("...while the norm grows like log t")
fig.tight_layout()

print(f"angle to the max-margin direction: {angles[0]:.1f} degrees after 1 step, "
      f"{angles[-1]:.2f} after {checkpoints[-1]}")
plt.show()
