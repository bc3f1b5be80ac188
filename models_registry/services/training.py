"""Training runs: a tracked, reproducible fit of a new model version on a dataset snapshot."""

from __future__ import annotations

import subprocess
from importlib import metadata
from typing import Any

import pandas as pd
import structlog
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from common import clock
from common.actors import actor_name
from common.exceptions import ArtifactIntegrityError, ValidationFailed
from common.numeric import NumberRefused, number_parse, range_spec
from models_registry import artifacts, classifier, inference
from models_registry.choices import Alias, TrainingStatus
from models_registry.features import FEATURE_NAMES
from models_registry.models import (
    DatasetSnapshot,
    ModelVersion,
    RegisteredModel,
    TrainingRun,
    training_seed_spec,
)
from models_registry.selectors import model_version_for_alias
from models_registry.services.datasets import dataset_frame_load, dataset_snapshot_build
from models_registry.services.promotion import model_version_bootstrap
from models_registry.services.scoring import model_version_load, score

logger = structlog.get_logger(__name__)

LIBRARIES = ("scikit-learn", "numpy", "pandas", "scipy", "pyarrow", "joblib", "Django")
PARAM_NAMES = {"C", "regularisation", "seed", "holdout_fraction", "embargo_bars"}
_code_version: str | None = None

# What each hyperparameter may be: checked before the run row is written, so a seed the
# column cannot hold or a NaN regularisation is refused with its name, never a failed run
# with a database or scikit-learn traceback.
HOLDOUT_FRACTION = range_spec(
    "holdout_fraction",
    "(a fraction of the rows)",
    minimum=0,
    maximum=1,
    decimal_places=6,
    minimum_exclusive=True,
    maximum_exclusive=True,
)
PARAM_SPECS = {
    "C": range_spec(
        "C", "(inverse regularisation)", minimum=0, maximum=10**6, decimal_places=10,
        minimum_exclusive=True,
    ),
    "seed": training_seed_spec("seed"),
    "holdout_fraction": HOLDOUT_FRACTION,
    "embargo_bars": range_spec("embargo_bars", "bars", minimum=0, maximum=100_000),
}  # fmt: skip


def code_version() -> str:
    """The git commit of the running code, or the package version outside a checkout."""
    global _code_version  # computed once per process: the code does not change under it
    if _code_version is None:
        try:
            _code_version = subprocess.run(
                ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH by design
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            _code_version = f"tradingops=={metadata.version('tradingops')}" if _installed() else ""
        _code_version = _code_version or "unknown"
    return _code_version


def _installed() -> bool:
    try:
        metadata.version("tradingops")
    except metadata.PackageNotFoundError:
        return False
    return True


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def _champion_on(registered: RegisteredModel, holdout: pd.DataFrame, timeframe: str) -> dict:
    champion = model_version_for_alias(registered_model_id=registered.pk, alias=Alias.CHAMPION)
    if champion is None:
        return {}
    try:
        model = model_version_load(champion)
    except ArtifactIntegrityError as exc:  # judged later by the gates: no comparison, no pass
        return {"version": champion.version, "error": str(exc)}
    return {"version": champion.version, **score(model, holdout, timeframe)}


def _fit_and_score(run: TrainingRun, frame: pd.DataFrame, params: dict) -> tuple[Any, dict, Any]:
    """Steps 2-5 of training: split with embargo, check, fit, score, walk forward."""
    timeframe = run.dataset_snapshot.timeframe  # type: ignore[union-attr]
    split = classifier.time_ordered_split(frame, params["holdout_fraction"], params["embargo_bars"])
    classifier.assert_no_lookahead(frame, split, params["embargo_bars"])
    model = classifier.fit_baseline(split.train, seed=run.seed, regularisation=params["C"])
    holdout = score(model, split.holdout, timeframe)
    folds = classifier.walk_forward(
        frame,
        folds=settings.MODELS_WALK_FORWARD_FOLDS,
        embargo_bars=params["embargo_bars"],
        seed=run.seed,
        regularisation=params["C"],
    )
    metrics = {
        "holdout": holdout,
        "walk_forward": {
            "folds": folds,
            "mean_roc_auc": float(pd.Series([f["roc_auc"] for f in folds]).mean()),
            "mean_log_loss": float(pd.Series([f["log_loss"] for f in folds]).mean()),
        },
        "champion_holdout": _champion_on(run.registered_model, split.holdout, timeframe),
    }
    return model, metrics, split


def _params(overrides: dict | None, seed: int, regularisation: float, holdout: float) -> dict:
    params = {
        "C": regularisation,
        "seed": seed,
        "holdout_fraction": holdout,
        "embargo_bars": settings.MODELS_EMBARGO_BARS,
    }
    for key, value in (overrides or {}).items():
        if key not in PARAM_NAMES:
            raise ValidationFailed(f"Unknown hyperparameter {key!r}; known: {sorted(PARAM_NAMES)}")
        params["C" if key == "regularisation" else key] = value
    for key, spec in PARAM_SPECS.items():
        try:
            value = number_parse(params[key], spec)
        except NumberRefused as refused:
            raise ValidationFailed(str(refused)) from None
        params[key] = int(value) if spec.decimal_places == 0 else float(value)
    return params


def _register_version(run: TrainingRun, model: Any, metrics: dict, split: Any) -> ModelVersion:
    snapshot: DatasetSnapshot = run.dataset_snapshot  # type: ignore[assignment]
    path, sha256 = artifacts.put(inference.artifact_bytes(model), kind="models", suffix=".joblib")
    with transaction.atomic():
        # Lock the model row so two trainings cannot take the same version number.
        registered = RegisteredModel.objects.select_for_update().get(pk=run.registered_model_id)
        latest = registered.versions.aggregate(latest=Max("version"))["latest"] or 0
        return ModelVersion.objects.create(
            registered_model=registered,
            version=latest + 1,
            algorithm=run.family,
            hyperparameters=run.hyperparameters,
            feature_names=list(FEATURE_NAMES),
            timeframe=snapshot.timeframe,
            training_symbols=snapshot.symbols,
            train_start=split.train["timestamp"].min(),
            train_end=split.train["timestamp"].max(),
            holdout_start=split.holdout["timestamp"].min(),
            holdout_end=split.holdout["timestamp"].max(),
            train_rows=len(split.train),
            holdout_rows=len(split.holdout),
            metrics=metrics["holdout"],
            artifact_path=path,
            artifact_sha256=sha256,
            training_run=run,
        )


def _finish(run: TrainingRun, *, status: str, error: str = "", metrics: dict | None = None) -> None:
    run.finished_at = clock.now()
    run.duration_seconds = (run.finished_at - run.started_at).total_seconds()
    run.status, run.error, run.metrics = status, error, metrics or run.metrics
    run.save()


def model_version_train(
    *,
    model_name: str,
    symbols: list[str] | None = None,
    timeframe: str | None = None,
    holdout_fraction: float | None = None,
    seed: int = 0,
    regularisation: float = 1.0,
    params: dict | None = None,
    promote: bool = False,
    actor: User | None = None,
    request_id: str = "",
) -> ModelVersion:
    """Train a new version as a tracked run and register it.

    Steps: 1. snapshot the dataset and open the run (status running); 2. split on time with
    an embargo gap and check for look-ahead; 3. fit; 4. score the hold-out (metrics and the
    cost-aware backtest), walk forward, and score the current champion on the same hold-out;
    5. store the artifact under its sha256 and register the version; 6. close the run.
    A failure closes the run as failed with its error, then re-raises.
    ``promote`` bootstraps a model that has no champion yet, without gates or approval: only
    for the demo and soak seeds of their own databases, tests and benchmarks. No command, API
    view or admin action passes it; a real first champion goes through model_version_promote.
    """
    params = _params(
        params, seed, regularisation, holdout_fraction or settings.MODELS_HOLDOUT_FRACTION
    )
    registered, _ = RegisteredModel.objects.get_or_create(name=model_name)
    snapshot = dataset_snapshot_build(symbols=symbols, timeframe=timeframe)
    run = TrainingRun.objects.create(
        registered_model=registered,
        family=classifier.ALGORITHM,
        hyperparameters=params,
        seed=params["seed"],
        dataset_snapshot=snapshot,
        feature_set=snapshot.feature_set,
        code_version=code_version(),
        library_versions=library_versions(),
        started_at=clock.now(),
        triggered_by=actor,
        triggered_by_name=actor_name(actor),
        request_id=request_id,
    )
    try:
        model, metrics, split = _fit_and_score(run, dataset_frame_load(snapshot), params)
        version = _register_version(run, model, metrics, split)
    except Exception as exc:
        _finish(run, status=TrainingStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        logger.exception("training_run_failed", run=run.pk)
        raise
    _finish(run, status=TrainingStatus.SUCCEEDED, metrics=metrics)
    logger.info("model_version_trained", model=model_name, version=version.version)
    if promote:
        model_version_bootstrap(model_version=version, actor=actor, request_id=request_id)
    return version
