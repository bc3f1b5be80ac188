"""Hyperparameters are checked before a training run is written: a seed the
TrainingRun column cannot hold, a NaN regularisation or a hold-out of 0 is refused with its
name, never a failed run ending in a database or scikit-learn traceback."""

from __future__ import annotations

import pytest

from common.exceptions import ValidationFailed
from models_registry.models import RegisteredModel, TrainingRun
from models_registry.services import model_version_train

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"seed": 2**31}, "seed"),
        ({"seed": 10**30}, "seed"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": "NaN"}, "seed"),
        ({"C": "NaN"}, "C"),
        ({"C": float("inf")}, "C"),
        ({"C": 0}, "C"),
        ({"C": "1e999"}, "C"),
        ({"holdout_fraction": 0}, "holdout_fraction"),
        ({"holdout_fraction": 1}, "holdout_fraction"),
        ({"holdout_fraction": "nan"}, "holdout_fraction"),
        ({"embargo_bars": -1}, "embargo_bars"),
        ({"embargo_bars": 2.5}, "embargo_bars"),
        ({"embargo_bars": True}, "embargo_bars"),
    ],
)
def test_a_hyperparameter_out_of_range_is_refused_before_any_run_is_written(params, named):
    with pytest.raises(ValidationFailed, match=named):
        model_version_train(model_name="baseline-direction", params=params)

    assert not TrainingRun.objects.exists()
    assert not RegisteredModel.objects.exists()


def test_hyperparameters_in_range_are_recorded_exactly(history):
    version = model_version_train(
        model_name="baseline-direction",
        params={"seed": 2**31 - 1, "C": 0.5, "holdout_fraction": 0.25, "embargo_bars": 3},
    )

    run = TrainingRun.objects.get()
    assert run.seed == 2**31 - 1
    assert run.hyperparameters == {
        "C": 0.5,
        "seed": 2**31 - 1,
        "holdout_fraction": 0.25,
        "embargo_bars": 3,
    }
    assert version.hyperparameters == run.hyperparameters
