"""The logistic regression of the raw-feature baseline: a known answer."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.models.logistic import fit_logistic


def test_logistic_regression_known_answer():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 1, (40, 3)), rng.normal(2, 1, (40, 3))])
    x[:, 2] = 7.0  # a constant column must not break the standardisation
    y = np.repeat([0, 1], 40)
    lr = fit_logistic(x, y, n_classes=3)
    p = lr.predict_proba(x)
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-6)
    assert (p.argmax(1) == y).mean() >= 0.97 and p[:, 2].max() < 0.05
    with pytest.raises(ParameterError):
        fit_logistic(x, y + 5, n_classes=3)
