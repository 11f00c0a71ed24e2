"""The model registry: skops blobs in ``fraud_models`` with version, period, features and metrics.

Models are never unpickled: skops rebuilds only the types scikit-learn declares safe plus the
explicit list below, and refuses anything else.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Connection, Engine, func, select, update

from core.errors import NotFound, ValidationError
from core.fraud.features import FEATURE_NAMES, INDEX
from core.persistence.base import utcnow
from core.persistence.models.fraud import FraudModel

if TYPE_CHECKING:  # scikit-learn and skops load only when a model is stored or loaded (the CLI starts fast)
    from core.fraud.compiled import Anomaly, Classifier
    from core.fraud.training import Trained

TRUSTED_TYPES = [
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
]


@dataclass(frozen=True)
class ModelInfo:
    version: int
    kind: str
    created_at: datetime
    created_by: str
    trained_from: datetime
    trained_to: datetime
    label_delay_days: int
    feature_names: tuple[str, ...]
    metrics: dict
    active: bool

    @property
    def label(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class LoadedModel:
    """A registered model compiled for fast scoring."""

    info: ModelInfo
    classifier: Classifier | None
    anomaly: Anomaly | None
    anomaly_columns: np.ndarray
    anomaly_floor: float
    reference: np.ndarray
    channel_ceiling: np.ndarray | None = None  # see core.fraud.training.Trained
    channel_floor: np.ndarray | None = None


def dumps(trained: Trained) -> bytes:
    import skops.io as sio

    return sio.dumps({
        "classifier": trained.classifier, "anomaly": trained.anomaly,
        "reference": np.asarray(trained.reference, dtype=np.float64), "anomaly_floor": float(trained.anomaly_floor),
        **channel_scales(trained),
    })


def channel_scales(trained: Trained) -> dict:
    """The per-channel calibration arrays of a bundle (absent for models trained without them)."""
    return {name: np.asarray(value, dtype=np.float64) for name in ("channel_ceiling", "channel_floor")
            if (value := getattr(trained, name)) is not None}


def loads(blob: bytes) -> dict:
    """Rebuild a bundle, refusing any type outside sklearn's safe set and TRUSTED_TYPES."""
    import skops.io as sio

    unexpected = sorted(set(sio.get_untrusted_types(data=blob)) - set(TRUSTED_TYPES))
    if unexpected:
        raise ValidationError(f"model file holds types that are not trusted: {', '.join(unexpected)}")
    return sio.loads(blob, trusted=TRUSTED_TYPES)


def compile_bundle(info: ModelInfo, bundle: dict) -> LoadedModel:
    from core.fraud.compiled import compile_anomaly, compile_classifier
    from core.fraud.training import ANOMALY_FEATURES

    names = tuple(info.feature_names)
    gone = [n for n in names if n not in INDEX]
    if gone:
        raise ValidationError(f"model {info.label} uses features this version no longer computes "
                              f"({', '.join(gone[:3])}); retrain it (qenex ai retrain)")
    classifier = compile_classifier(bundle["classifier"]) if bundle["classifier"] is not None else None
    anomaly = compile_anomaly(bundle["anomaly"]) if bundle["anomaly"] is not None else None
    scales = [np.asarray(bundle[k], dtype=np.float64) if bundle.get(k) is not None else None
              for k in ("channel_ceiling", "channel_floor")]
    reference = np.asarray(bundle["reference"], dtype=np.float64)
    if names != FEATURE_NAMES:  # trained before features were added: it reads its own columns by name
        columns = np.array([INDEX[n] for n in names], dtype=np.intp)
        classifier = classifier.on_columns(columns, len(FEATURE_NAMES)) if classifier is not None else None
        wide = np.zeros(len(FEATURE_NAMES))
        wide[columns] = reference
        reference = wide
    return LoadedModel(info, classifier, anomaly, np.array([INDEX[f] for f in ANOMALY_FEATURES]),
                       float(bundle["anomaly_floor"]), reference, *scales)


def register(engine: Engine, trained: Trained, *, actor_name: str, trained_from: datetime,
             trained_to: datetime, label_delay_days: int, activate: bool = True) -> ModelInfo:
    """Store ``trained`` as the next version (and make it the only active one)."""
    blob = dumps(trained)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7423004)")  # one registration at a time
        version = (conn.scalar(select(func.max(FraudModel.version))) or 0) + 1
        if activate:
            conn.execute(update(FraudModel).where(FraudModel.active.is_(True)).values(active=False))
        conn.execute(FraudModel.__table__.insert().values(
            version=version, kind=trained.kind, created_at=utcnow(), created_by=actor_name,
            trained_from=trained_from, trained_to=trained_to, label_delay_days=label_delay_days,
            feature_names=json.dumps(list(FEATURE_NAMES)), metrics=json.dumps(trained.metrics),
            blob=blob, active=activate,
        ))
        return info(conn, version)


def _info(row) -> ModelInfo:  # noqa: ANN001
    return ModelInfo(row.version, row.kind, row.created_at, row.created_by, row.trained_from, row.trained_to,
                     row.label_delay_days, tuple(json.loads(row.feature_names)), json.loads(row.metrics), row.active)


_INFO_COLUMNS = [c for c in FraudModel.__table__.c if c.name != "blob"]


def info(conn: Connection, version: int) -> ModelInfo:
    row = conn.execute(select(*_INFO_COLUMNS).where(FraudModel.version == version)).one_or_none()
    if row is None:
        raise NotFound(f"no fraud model version {version}", version=version)
    return _info(row)


def list_models(conn: Connection) -> list[ModelInfo]:
    return [_info(r) for r in conn.execute(select(*_INFO_COLUMNS).order_by(FraudModel.version.desc()))]


def active_version(conn: Connection) -> int | None:
    """The cheap check the screen runs on every call: the newest active version, if any."""
    return conn.scalar(select(func.max(FraudModel.version)).where(FraudModel.active.is_(True)))


def load(conn: Connection, version: int) -> LoadedModel:
    return compile_bundle(info(conn, version), loads(blob(conn, version)))


def blob(conn: Connection, version: int) -> bytes:
    """The stored skops bundle of ``version`` (NotFound if there is none)."""
    data = conn.scalar(select(FraudModel.blob).where(FraudModel.version == version))
    if data is None:
        raise NotFound(f"no fraud model version {version}", version=version)
    return data


def activate(engine: Engine, version: int) -> ModelInfo:
    with engine.begin() as conn:
        info(conn, version)
        conn.execute(update(FraudModel).where(FraudModel.active.is_(True)).values(active=False))
        conn.execute(update(FraudModel).where(FraudModel.version == version).values(active=True))
        return info(conn, version)
