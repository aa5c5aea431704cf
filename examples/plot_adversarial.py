"""
=================================================================
Adversarial examples and robust training of a linear classifier
=================================================================

An adversarial example is an input moved by a small, deliberately chosen
perturbation so that the classifier gets it wrong. :mod:`sklogloss.adversarial`
attacks any classifier of this package (and fitted scikit-learn linear
classifiers with ``coef_``): :func:`~sklogloss.adversarial.input_gradient` is
the gradient of each sample's loss ``-log P(y | x)`` with respect to its input,
:func:`~sklogloss.adversarial.fgsm` takes one step of length ``epsilon`` along
it (the fast gradient sign method) and :func:`~sklogloss.adversarial.pgd`
iterates projected steps within the ``epsilon`` ball (projected gradient
descent), for an L-infinity or an L2 ball.

For a binary linear model the worst case is known in closed form, which makes
two things exact:

* the attack: FGSM (L-inf) and PGD find the perturbation that lowers the
  margin the most, and the accuracy under attack is the fraction of samples
  whose margin exceeds ``epsilon ||w||_1``;
* robust training: ``LogisticClassifier(adversarial_epsilon=...)`` minimises
  the logistic loss of each training sample at its worst perturbation, a
  convex problem with no attack inside the fit.

This example separates the digits 3 and 8 of the digits data set and compares
a standard logistic regression with robust ones.
"""

# %%
# The data
# --------
# The 8x8 images of the digits 3 and 8, with the pixels scaled from 0..16 to
# ``[0, 1]`` so that ``epsilon`` is a fraction of the pixel range, split in
# halves with the same share of each digit.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from sklogloss import LogisticClassifier
from sklogloss.adversarial import fgsm, input_gradient, pgd

start_all = time.perf_counter()
digits = load_digits()
keep = np.isin(digits.target, [3, 8])
X, y = digits.data[keep] / 16, digits.target[keep]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
print(f"{len(y_train)} training and {len(y_test)} test images; "
      f"test: {np.sum(y_test == 3)} threes, {np.sum(y_test == 8)} eights")

# %%
# The worst case in closed form
# -----------------------------
# The model's log-odds of an 8 are ``z = w . x + b`` and its signed margin is
# ``s z``, with ``s = +1`` for an 8 and ``s = -1`` for a 3: the image is
# classified correctly when the margin is positive, and its logistic loss
# ``log(1 + exp(-s z))`` decreases with the margin. A perturbation ``delta``
# changes the margin by ``s w . delta``, and Hoelder's inequality bounds it,
# ``|w . delta| <= ||w||_1 ||delta||_inf``: within the L-inf ball
# ``||delta||_inf <= epsilon`` the margin falls by at most ``epsilon ||w||_1``,
# and by exactly that at ``delta = -epsilon s sign(w)`` (every pixel moves by
# ``epsilon`` against its weight). Within the L2 ball the bound is the
# Cauchy-Schwarz inequality: the margin falls by ``epsilon ||w||_2``, at
# ``delta = -epsilon s w / ||w||_2``.
#
# The input gradient of the loss is ``(p - [y = 8]) w = -s (1 - p_t) w``
# (``p_t`` the probability of the true label): its sign is ``-s sign(w)``, so
# the one FGSM step is the worst case exactly, and so are PGD's projected
# steps (its default 20 steps of ``2.5 epsilon / 20`` reach the boundary of
# the ball). The check below measures the margin drop of each attack on the
# test images of a standard model (``C=1``, no robust training).

standard = LogisticClassifier(C=1.0).fit(X_train, y_train)
w = standard.coef_.ravel()
sign = np.where(y_test == standard.classes_[1], 1.0, -1.0)


def margin(clf, X_, s=sign):
    """The signed margin ``s (w . x + b)`` of each row of ``X_``."""
    return s * clf.decision_function(X_)


p = standard.predict_proba(X_test)[:, 1]
gradient = input_gradient(standard, X_test, y_test)
print(f"input_gradient == (p - [y = 8]) w: max abs difference "
      f"{np.abs(gradient - (p - (y_test == 8))[:, None] * w).max():.1e}")
print(f"||w||_1 = {np.abs(w).sum():.3f}, ||w||_2 = {np.linalg.norm(w):.3f}")
print("max |measured margin drop - closed form| over the test images:")
for epsilon in [0.05, 0.1, 0.2]:
    drops = {
        "FGSM, L-inf": (margin(standard, X_test) - margin(standard, fgsm(standard, X_test, y_test, epsilon)),
                        epsilon * np.abs(w).sum()),
        "PGD, L-inf": (margin(standard, X_test) - margin(standard, pgd(standard, X_test, y_test, epsilon)),
                       epsilon * np.abs(w).sum()),
        "PGD, L2 (radius 8 epsilon)": (
            margin(standard, X_test) - margin(standard, pgd(standard, X_test, y_test, 8 * epsilon, norm="l2")),
            8 * epsilon * np.linalg.norm(w)),
    }
    print(f"  epsilon = {epsilon:<5}" + "".join(f"{name}: {np.abs(measured - exact).max():.1e}   "
                                               for name, (measured, exact) in drops.items()))

# %%
# The attacks need nothing but ``coef_`` and ``intercept_``: they also attack
# scikit-learn's :class:`~sklearn.linear_model.LogisticRegression`, which with
# the same ``C`` fits the same model.

sk_model = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X_train, y_train)
for epsilon in [0.05, 0.1]:
    print(f"epsilon = {epsilon}: FGSM accuracy of LogisticRegression "
          f"{sk_model.score(fgsm(sk_model, X_test, y_test, epsilon), y_test):.3f}, "
          f"of LogisticClassifier {standard.score(fgsm(standard, X_test, y_test, epsilon), y_test):.3f}")

# %%
# Robust training
# ---------------
# Since the worst case of each training sample is known, the robust objective
# can be written down without an attack: the logistic loss of the shifted
# margin, ``log(1 + exp(-(s_i (w . x_i + b) - epsilon ||w||_*)))``, with
# ``||.||_*`` the dual norm of the ball (``||w||_1`` for L-inf, ``||w||_2`` for
# L2), plus the usual L2 penalty. It is convex (a convex decreasing function
# of a concave margin) and its minimiser is the exact robust model, not the
# approximation that adversarial training with an attack in the loop gives.
# ``LogisticClassifier(adversarial_epsilon=epsilon, adversarial_norm=...)``
# minimises it with L-BFGS (``solver_`` is ``"lbfgs"``; for the L-inf ball,
# L-BFGS-B on ``w = u - v`` with ``u, v >= 0``, which makes ``||w||_1`` smooth);
# it needs hard labels. The dual norm
# ``||w||_1`` of the L-inf ball is an L1 penalty on the weights, scaled by how
# much the samples' losses depend on their margins: L-inf robust training
# sets weights to exactly zero.
#
# The robust models here are trained at ``epsilon = 0.05`` and ``0.1`` (L-inf)
# and at ``epsilon = 0.4`` (L2; the L2 radius of an L-inf ball of ``0.05`` in
# 64 dimensions is ``8 * 0.05 = 0.4``), all with ``C=1``.

specs = {
    "standard": LogisticClassifier(C=1.0),
    "L-inf 0.05": LogisticClassifier(C=1.0, adversarial_epsilon=0.05, adversarial_norm="inf"),
    "L-inf 0.1": LogisticClassifier(C=1.0, adversarial_epsilon=0.1, adversarial_norm="inf"),
    "L2 0.4": LogisticClassifier(C=1.0, adversarial_epsilon=0.4, adversarial_norm="l2"),
}
start = time.perf_counter()
models = {name: clf.fit(X_train, y_train) for name, clf in specs.items()}
print(f"{len(models)} fits in {time.perf_counter() - start:.2f} s")
width = max(len(name) for name in models)
print(f"{'':<{width}}{'solver_':>18}{'n_iter_':>9}{'clean acc':>11}{'non-zero w':>12}{'||w||_1':>9}{'||w||_2':>9}")
for name, clf in models.items():
    coef = clf.coef_.ravel()
    print(f"{name:<{width}}{clf.solver_:>18}{int(np.ravel(clf.n_iter_)[0]):>9}{clf.score(X_test, y_test):>11.3f}"
          f"{np.count_nonzero(coef):>8} / 64{np.abs(coef).sum():>9.2f}{np.linalg.norm(coef):>9.2f}")

# %%
# The robust objective is the log loss at the worst perturbation: attacking
# the training images of a robust model with PGD at its own ``epsilon`` and
# taking the ordinary log loss gives the same number as the closed form.

s_train = np.where(y_train == 8, 1.0, -1.0)
for name in ["L-inf 0.1", "L2 0.4"]:
    clf = models[name]
    epsilon, norm = clf.adversarial_epsilon, clf.adversarial_norm
    dual = np.abs(clf.coef_).sum() if norm == "inf" else np.linalg.norm(clf.coef_)
    closed_form = np.mean(np.logaddexp(0, -(margin(clf, X_train, s_train) - epsilon * dual)))
    attacked = log_loss(y_train, clf.predict_proba(pgd(clf, X_train, y_train, epsilon, norm=norm)))
    print(f"{name}: worst-case training log loss {closed_form:.6f} (closed form), {attacked:.6f} (PGD), "
          f"clean {log_loss(y_train, clf.predict_proba(X_train)):.6f}")

# %%
# Accuracy under attack
# ---------------------
# Each model is attacked on the test images with FGSM and PGD, at L-inf radii
# from 0 to 0.3 of the pixel range. For these binary linear models both
# attacks are exact, so they give the same accuracy, and that accuracy is
# also *certified*: it is the share of test images whose clean margin exceeds
# ``epsilon ||w||_1``, computed without any attack (last columns of the
# check). Note that the attacks perturb within the ball only: they do not clip
# the pixels to ``[0, 1]``, so an attacker restricted to valid images can do
# at most as much damage as measured here.

epsilons = np.round(np.arange(0, 0.301, 0.025), 3)
accuracy = {}  # (model, attack) -> accuracy per epsilon
start = time.perf_counter()
for name, clf in models.items():
    l1 = np.abs(clf.coef_).sum()
    clean_margin = margin(clf, X_test)
    accuracy[name, "FGSM"] = [clf.score(fgsm(clf, X_test, y_test, e), y_test) for e in epsilons]
    accuracy[name, "PGD"] = [clf.score(pgd(clf, X_test, y_test, e), y_test) for e in epsilons]
    accuracy[name, "certified"] = [np.mean(clean_margin > e * l1) for e in epsilons]
print(f"{3 * len(models) * len(epsilons)} evaluations in {time.perf_counter() - start:.2f} s")

print("test accuracy under L-inf attack (FGSM / PGD)")
print(f"{'epsilon':>8}" + "".join(f"{name:>16}" for name in models))
for k, e in enumerate(epsilons):
    if k % 2 == 0:
        print(f"{e:>8.3f}" + "".join(f"{accuracy[name, 'FGSM'][k]:>9.3f} /{accuracy[name, 'PGD'][k]:.3f}"
                                     for name in models))
gap = max(np.abs(np.subtract(accuracy[name, a], accuracy[name, "certified"])).max()
          for name in models for a in ["FGSM", "PGD"])
print(f"largest difference between an attack's accuracy and the certified accuracy: {gap:.3f}")

# %%
# The same models under an L2 attack (PGD with ``norm="l2"``), at radii from 0
# to 2.4, eight times the L-inf radii: the L2 ball of radius ``8 epsilon``
# holds the corners of the L-inf ball of radius ``epsilon`` (64 pixels). Here
# the margin falls by ``epsilon ||w||_2``, and L-inf robust training, which
# shrinks ``||w||_1``, need not shrink ``||w||_2`` (compare the norms printed
# after the fits): robustness to one ball does not carry over to another, and
# the lines after the table list the models that did worse than the standard
# one under the L2 attack.

accuracy_l2 = {name: [clf.score(pgd(clf, X_test, y_test, 8 * e, norm="l2"), y_test) for e in epsilons]
               for name, clf in models.items()}
print("test accuracy under L2 attack (PGD)")
print(f"{'radius':>8}" + "".join(f"{name:>16}" for name in models))
for k, e in enumerate(epsilons):
    if k % 2 == 0:
        print(f"{8 * e:>8.2f}" + "".join(f"{accuracy_l2[name][k]:>16.3f}" for name in models))
for k in [2, 4]:
    best = max(models, key=lambda name: accuracy_l2[name][k])
    worse = [name for name in models if accuracy_l2[name][k] < accuracy_l2["standard"][k]]
    print(f"L2 radius {8 * epsilons[k]:.2f}: most accurate {best} ({accuracy_l2[best][k]:.3f}); "
          f"less accurate than the standard model: {', '.join(worse) or 'none'}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained", sharey=True)
for name, color in zip(models, ["C0", "C1", "C2", "C3"]):
    axes[0].plot(epsilons, accuracy[name, "PGD"], color=color, label=f"{name}, PGD")
    axes[0].plot(epsilons, accuracy[name, "FGSM"], color=color, linestyle="none", marker="o", markersize=4,
                 label=f"{name}, FGSM")
    axes[1].plot(8 * epsilons, accuracy_l2[name], color=color, label=name)
for e in [0.05, 0.1]:
    axes[0].axvline(e, color="grey", linestyle=":", linewidth=1)
axes[0].set_xlabel("L-inf radius epsilon (fraction of the pixel range)")
axes[0].set_ylabel("test accuracy under attack")
axes[0].set_title("L-inf attacks (dotted: the training radii)")
axes[0].legend(fontsize="small", ncols=2)
axes[1].set_xlabel("L2 radius")
axes[1].set_title("L2 attack (PGD)")
axes[1].legend(fontsize="small")
plt.show()

# %%
# The price of robustness
# -----------------------
# Robust training trades accuracy on clean images for accuracy under attack.
# A sweep over the training radius (L-inf, ``C=1``) shows both, with the
# number of non-zero weights. When the radius is so large that no weight
# earns more margin than the ``epsilon |w_j|`` it costs, the optimum is
# ``w = 0``: a constant prediction.

train_epsilons = np.round(np.arange(0, 0.301, 0.025), 3)
sweep = {"clean": [], "attack 0.05": [], "attack 0.1": [], "attack 0.2": [], "non-zero": []}
for e in train_epsilons:
    clf = LogisticClassifier(C=1.0, adversarial_epsilon=e).fit(X_train, y_train)
    sweep["clean"].append(clf.score(X_test, y_test))
    for attack in [0.05, 0.1, 0.2]:
        sweep[f"attack {attack}"].append(clf.score(pgd(clf, X_test, y_test, attack), y_test))
    sweep["non-zero"].append(np.count_nonzero(clf.coef_))
print("L-inf training radius sweep: test accuracy (clean, under PGD at 0.05 / 0.1 / 0.2) and non-zero weights")
print(f"{'train eps':>10}" + "".join(f"{column:>13}" for column in sweep))
for k, e in enumerate(train_epsilons):
    print(f"{e:>10.3f}" + "".join(f"{sweep[column][k]:>13.3f}" if column != "non-zero"
                                  else f"{sweep[column][k]:>13d}" for column in sweep))
for attack in [0.05, 0.1, 0.2]:
    column = sweep[f"attack {attack}"]
    best = int(np.argmax(column))
    print(f"under attack at {attack}: best accuracy {column[best]:.3f} when trained at {train_epsilons[best]:.3f} "
          f"(clean accuracy {sweep['clean'][best]:.3f}; standard model {column[0]:.3f} under attack, "
          f"{sweep['clean'][0]:.3f} clean)")

clean = np.array(sweep["clean"])
print(f"the clean accuracy never rises along the sweep: {bool(np.all(np.diff(clean) <= 0))}")
collapsed = [e for e, nnz in zip(train_epsilons, sweep["non-zero"]) if nnz == 0]
if collapsed:
    print(f"all weights are zero at a training radius of {collapsed[0]:.3f}: the model predicts "
          f"{LogisticClassifier(C=1.0, adversarial_epsilon=collapsed[0]).fit(X_train, y_train).predict(X_test[:1])[0]}"
          " for every image")

fig, (ax, ax2) = plt.subplots(2, 1, figsize=(6.5, 6), layout="constrained", sharex=True, height_ratios=[3, 1])
for column, style in [("clean", "-"), ("attack 0.05", "--"), ("attack 0.1", "-."), ("attack 0.2", ":")]:
    ax.plot(train_epsilons, sweep[column], linestyle=style, marker="o", markersize=3,
            label="clean" if column == "clean" else f"under PGD, epsilon = {column.split()[1]}")
ax.set_ylabel("test accuracy")
ax.legend(fontsize="small", loc="lower left")
ax.set_title("Robust training: clean and robust accuracy")
ax2.bar(train_epsilons, sweep["non-zero"], width=0.015, color="grey")
ax2.set_ylabel("non-zero weights")
ax2.set_xlabel("L-inf training radius adversarial_epsilon")
plt.show()

# %%
# What the attack changes
# -----------------------
# The first two threes and the first two eights of the test set, attacked at
# ``epsilon = 0.15`` (L-inf, FGSM), for the standard model and the robust model
# trained at 0.1. For a binary linear model the perturbation is the same
# pattern for every image, ``-epsilon s sign(w)``, up to the sign of the
# label: each pixel with a non-zero weight moves by 0.15 against it, and a
# pixel whose weight is zero is left alone. The titles give the probability
# of the true digit before and after the attack.

attack_epsilon = 0.15
shown = np.r_[np.flatnonzero(y_test == 3)[:2], np.flatnonzero(y_test == 8)[:2]]
pair = {"standard": models["standard"], "robust (L-inf 0.1)": models["L-inf 0.1"]}
fig, axes = plt.subplots(len(shown), 5, figsize=(9, 2 * len(shown)), layout="constrained")
for row, i in enumerate(shown):
    x, label = X_test[i:i + 1], y_test[i:i + 1]
    axes[row, 0].imshow(x.reshape(8, 8), cmap="gray_r", vmin=-attack_epsilon, vmax=1 + attack_epsilon)
    axes[row, 0].set_title(f"digit {label[0]}", fontsize="small")
    for k, (name, clf) in enumerate(pair.items()):
        x_adv = fgsm(clf, x, label, attack_epsilon)
        true_col = list(clf.classes_).index(label[0])
        before, after = clf.predict_proba(x)[0, true_col], clf.predict_proba(x_adv)[0, true_col]
        axes[row, 1 + 2 * k].imshow((x_adv - x).reshape(8, 8), cmap="RdBu_r", vmin=-attack_epsilon,
                                    vmax=attack_epsilon)
        axes[row, 1 + 2 * k].set_title(f"{name}\nperturbation", fontsize="small")
        axes[row, 2 + 2 * k].imshow(x_adv.reshape(8, 8), cmap="gray_r", vmin=-attack_epsilon,
                                    vmax=1 + attack_epsilon)
        axes[row, 2 + 2 * k].set_title(f"attacked: P({label[0]}) {before:.2f} -> {after:.2f}\n"
                                       f"predicted {clf.predict(x_adv)[0]}", fontsize="small")
for ax in axes.ravel():
    ax.set_axis_off()
fig.suptitle(f"FGSM at epsilon = {attack_epsilon} (red: pixel darkened, blue: lightened)")
plt.show()

x_adv = fgsm(models["standard"], X_test, y_test, attack_epsilon)
print(f"standard model, epsilon = {attack_epsilon}: {np.mean((x_adv < 0) | (x_adv > 1)):.1%} of the attacked "
      "pixel values lie outside [0, 1]")
for name, clf in pair.items():
    moved = np.count_nonzero(fgsm(clf, X_test[:1], y_test[:1], attack_epsilon) - X_test[:1])
    print(f"{name}: the attack moves {moved} of 64 pixels")

# %%
# The weights
# -----------
# The weight images ``coef_.reshape(8, 8)`` (red: evidence for an 8, blue: for
# a 3; each image on its own symmetric color scale). The pixels that are blank
# in every training image get a zero weight in every model (the loss does not
# depend on them, the penalty pulls them to zero). The L-inf robust models
# keep only some of the others; the L2 robust model keeps them all, with a
# smaller L2 norm (its dual norm ``||w||_2`` is a ridge-like term, with no
# reason to vanish exactly). The last lines count the non-zero weights in
# the left half of the image, where an 8 closes its loops and a 3 is open.

fig, axes = plt.subplots(1, len(models), figsize=(2.6 * len(models), 3), layout="constrained")
for ax, (name, clf) in zip(axes, models.items()):
    coef = clf.coef_.reshape(8, 8)
    bound = np.abs(coef).max()
    ax.imshow(coef, cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set_title(f"{name}\n{np.count_nonzero(coef)} non-zero weights", fontsize="small")
    ax.set_axis_off()
fig.suptitle("Weights of the standard and robust models")
plt.show()
blank = X_train.max(axis=0) == 0
print(f"{blank.sum()} pixels are blank in every training image")
left = np.zeros((8, 8), dtype=bool)
left[:, :4] = True
for name, clf in models.items():
    coef = clf.coef_.ravel()
    print(f"{name}: {np.count_nonzero(coef)} non-zero weights of 64 ({np.count_nonzero(coef[blank])} on blank "
          f"pixels), {np.count_nonzero(coef[left.ravel()])} in the left half")
print(f"total run time {time.perf_counter() - start_all:.1f} s")

# %%
# Takeaways
# ---------
# * For a binary linear model an adversarial attack needs no search: the
#   signed margin falls by ``epsilon ||w||_1`` within an L-inf ball and by
#   ``epsilon ||w||_2`` within an L2 ball (Hoelder's inequality), FGSM and PGD
#   reach that worst case, and the accuracy under attack is a certified
#   accuracy computed from the clean margins. The checks above match the
#   closed form to rounding error.
# * The dual norm of the weights measures the vulnerability: a model with many
#   non-zero weights has a large ``||w||_1``, and a perturbation that moves
#   every pixel by a small fraction of its range adds up to a margin drop of
#   ``epsilon ||w||_1``; the table shows what that does to the standard
#   model's accuracy.
# * ``LogisticClassifier(adversarial_epsilon=...)`` fits the exact robust
#   model: a convex problem, solved by L-BFGS-B, with no attack in the loop.
#   Its robust training loss is the log loss of the worst-case inputs.
# * Robustness is not free: the sweep prints whether the clean test accuracy
#   falls as the training radius grows, and, for each attack radius, which
#   training radius did best under attack and at what clean accuracy. Too
#   large a radius leaves a constant model. Pick the training radius for the
#   attacks the model must withstand, check the clean accuracy it costs, and
#   evaluate against the norm of the attack that matters: a model made robust
#   in one norm need not be robust in another.
# * L-inf robust training acts like an L1 penalty, scaled by the data: it sets
#   weights to exactly zero, and the weight images show which pixels the
#   robust model relies on. An L2 ball gives a ridge-like term and dense
#   weights.
