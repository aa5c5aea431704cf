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

The theory's rate: ``w_t = w_svm log t + rho_t`` with ``rho_t`` bounded
(Soudry et al., Theorem 3), so the distance between the normalised direction
and the max-margin one, hence the angle ``theta_t`` between them, is
``O(1 / log t)``, and ``1 - cos(theta_t) ~ theta_t^2 / 2`` is ``O(1 / log^2 t)``.
The second panel draws the measured angle under ``c / log t`` with the
smallest ``c`` that bounds it from 100 steps on: the printed ``theta_t log t``
stays bounded, as the rate says (over these steps it first rises, then
decreases: the bounded remainder ``rho_t`` has not settled yet).
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

angles_rad = np.radians(angles)
after = checkpoints >= 100
c = float(np.max(angles_rad[after] * np.log(checkpoints[after])))  # the smallest c of a c / log t bound

fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 4))
ax1.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=15)
grid = np.linspace(-4, 4, 2)
for w, label in ((clf.coef_[0], f"gradient descent, {checkpoints[-1]} steps"), (w_svm, "max-margin SVM")):
    ax1.plot(grid, -w[0] / w[1] * grid, label=label)
ax1.set_ylim(-6, 6)
ax1.legend(fontsize="small")
ax1.set_title("Separable data")
ax2.loglog(checkpoints, angles_rad, marker="o", label="angle theta_t (radians)")
tail = checkpoints >= 10
ax2.loglog(checkpoints[tail], c / np.log(checkpoints[tail]), ls="--", color="k", label=f"rate: {c:.2f} / log t")
ax2.loglog(checkpoints, 1 - np.cos(angles_rad), marker=".", label="1 - cos(theta_t)")
ax2.set_xlabel("gradient descent steps")
ax2.set_ylabel("direction error")
ax2.legend(fontsize="small")
ax2.set_title("The direction converges like 1 / log t...")
ax3.semilogx(checkpoints, norms, marker="o")
ax3.set_xlabel("gradient descent steps")
ax3.set_ylabel("||w||")
ax3.set_title("...while the norm grows like log t")
fig.tight_layout()

print(f"angle to the max-margin direction: {angles[0]:.1f} degrees after 1 step, "
      f"{angles[-1]:.2f} after {checkpoints[-1]}")
print("theta_t log t from 100 steps on (bounded for an O(1 / log t) rate):",
      np.round((angles_rad * np.log(checkpoints))[after], 3))
plt.show()
