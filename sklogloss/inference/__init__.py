"""Standard errors, tests and intervals from the Fisher information of an unpenalised fit.

For a maximum-likelihood fit (``C=np.inf``) the Hessian of the negative
log-likelihood at the estimate is the observed Fisher information ``I`` (for
the logistic, softmax and zero-truncated Poisson losses it does not depend on
``y`` and is the expected information too). Its inverse is the classical
covariance of the estimate; the sandwich ``I^-1 J I^-1``, with ``J`` the sum of
the outer products of the per-observation (or per-cluster) scores, stays valid
when the model is misspecified.

The pieces come from the estimators' one objective factory:
``estimator._make_objective(X, y, sample_weight)`` rebuilds the objectives that
``fit`` minimised and ``estimator._objective_coef()`` gives the fitted
coefficients in their layout (weights, then intercept, per output). Without a
penalty an objective is ``f = sum_i s_i loss_i / S`` (``S = sum_i s_i``,
``objective.weight_sum``): the information is ``S`` times the objective's
Hessian, and the score of observation ``i`` is the loss's gradient with respect
to its raw scores times ``[x_i, 1]``.

For a :class:`~sklogloss.HurdleRegressor` there are R's pscl tests as well:
:func:`hurdle_test` (``hurdletest``, the Wald test of "no hurdle") and
:func:`vuong_test` (``vuong``, the hurdle against a non-nested plain count
model).

Sample weights are frequency weights, as everywhere in the package: an integer
weight is the same as repeating the row; class weights multiply the loss of
each observation. The small-sample factors count the observations as the sum
of the sample weights.
"""

from ._summary import COV_TYPES, InferenceSummary, summary
from ._tests import (
    TestResult,
    VuongResult,
    hurdle_test,
    likelihood_ratio_test,
    predict_proba_interval,
    vuong_test,
    wald_test,
)

__all__ = ["COV_TYPES", "InferenceSummary", "TestResult", "VuongResult", "hurdle_test", "likelihood_ratio_test",
           "predict_proba_interval", "summary", "vuong_test", "wald_test"]
