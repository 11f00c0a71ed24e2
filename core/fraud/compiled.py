"""Fitted scikit-learn trees flattened into numpy arrays for fast scoring.

sklearn's ``predict_proba`` costs about a millisecond of checks per call, too slow for one row in
the posting path. Here every model is a sum of leaf values over trees (plus a link function), walked
for all trees and rows at once, one numpy step per tree level. Leaves point to themselves, so a
fixed number of steps (the deepest tree) reaches every leaf. Results match sklearn (see tests).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest, RandomForestClassifier
from sklearn.pipeline import Pipeline

from core.errors import ValidationError

_CHUNK = 4096


@dataclass(frozen=True)
class Forest:
    """Trees as flat arrays; ``leaf_sum(X)`` is the sum over trees of the leaf each row reaches."""

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int
    float32_inputs: bool  # sklearn's CART trees compare float32-cast inputs

    def leaf_sum(self, X: np.ndarray) -> np.ndarray:
        if self.float32_inputs:
            X = X.astype(np.float32)
        X = np.asarray(X, dtype=np.float64)
        out = np.empty(len(X))
        for start in range(0, len(X), _CHUNK):
            part = X[start:start + _CHUNK]
            nodes = np.broadcast_to(self.roots, (len(part), len(self.roots))).copy()
            rows = np.arange(len(part))[:, None]
            for _ in range(self.depth):
                go_left = part[rows, self.feature[nodes]] <= self.threshold[nodes]
                nodes = np.where(go_left, self.left[nodes], self.right[nodes])
            out[start:start + _CHUNK] = self.value[nodes].sum(axis=1)
        return out


def _stack(trees: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
           float32_inputs: bool) -> Forest:
    """Concatenate (feature, threshold, left, right, value, is_leaf) per tree into one Forest."""
    roots, feats, thrs, lefts, rights, values = [], [], [], [], [], []
    offset, depth = 0, 0
    for feature, threshold, left, right, value, is_leaf in trees:
        n = len(feature)
        own = np.arange(n)
        left = np.where(is_leaf, own, left) + offset
        right = np.where(is_leaf, own, right) + offset
        roots.append(offset)
        feats.append(np.where(is_leaf, 0, feature))
        thrs.append(np.where(is_leaf, np.inf, threshold))
        lefts.append(left)
        rights.append(right)
        values.append(np.where(is_leaf, value, 0.0))
        depth = max(depth, _tree_depth(left - offset, right - offset, is_leaf))
        offset += n
    return Forest(
        np.asarray(roots, dtype=np.intp), np.concatenate(feats).astype(np.intp),
        np.concatenate(thrs).astype(np.float64), np.concatenate(lefts).astype(np.intp),
        np.concatenate(rights).astype(np.intp), np.concatenate(values).astype(np.float64),
        depth, float32_inputs,
    )


def _tree_depth(left: np.ndarray, right: np.ndarray, is_leaf: np.ndarray) -> int:
    depth, frontier = 0, np.array([0])
    while True:
        frontier = frontier[~is_leaf[frontier]]
        if not len(frontier):
            return depth
        frontier = np.concatenate([left[frontier], right[frontier]])
        depth += 1


def _cart(tree, feature_map: np.ndarray | None = None, values: np.ndarray | None = None):  # noqa: ANN001
    t = tree.tree_
    is_leaf = t.children_left == -1
    feature = t.feature if feature_map is None else feature_map[np.maximum(t.feature, 0)]
    return feature, t.threshold, t.children_left, t.children_right, values, is_leaf


@dataclass(frozen=True)
class Classifier:
    """A compiled fraud classifier: ``predict(X)`` gives P(fraud) per row."""

    kind: str
    forest: Forest | None = None
    link: str = "mean"  # "mean": average of leaf probabilities; "logit": sigmoid(bias + sum)
    bias: float = 0.0
    weights: np.ndarray | None = None  # linear models

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if self.weights is not None:
            return 1.0 / (1.0 + np.exp(-(X @ self.weights + self.bias)))
        total = self.forest.leaf_sum(X)
        if self.link == "logit":
            return 1.0 / (1.0 + np.exp(-(total + self.bias)))
        return total / len(self.forest.roots)


def compile_classifier(model) -> Classifier:  # noqa: ANN001
    if isinstance(model, HistGradientBoostingClassifier):
        trees = []
        for iteration in model._predictors:
            nodes = iteration[0].nodes
            if nodes["is_categorical"].any():
                raise ValidationError("categorical splits are not supported by the compiled scorer")
            trees.append((nodes["feature_idx"], nodes["num_threshold"], nodes["left"], nodes["right"],
                          nodes["value"], nodes["is_leaf"].astype(bool)))
        return Classifier("hgb", _stack(trees, False), "logit", float(np.ravel(model._baseline_prediction)[0]))
    if isinstance(model, RandomForestClassifier):
        trees = []
        for est in model.estimators_:
            v = est.tree_.value[:, 0, :]
            proba = v[:, 1] / np.maximum(v.sum(axis=1), 1e-300)
            trees.append(_cart(est, values=proba))
        return Classifier("rf", _stack(trees, True), "mean")
    if isinstance(model, Pipeline):
        scaler, lr = model.steps[0][1], model.steps[-1][1]
        coef = lr.coef_[0] / scaler.scale_
        return Classifier("logistic", bias=float(lr.intercept_[0] - coef @ scaler.mean_), weights=coef)
    raise ValidationError(f"no compiled scorer for {type(model).__name__}")


@dataclass(frozen=True)
class Anomaly:
    """A compiled Isolation Forest: ``score(X)`` is the paper's anomaly score in (0, 1], ~0.5 normal."""

    forest: Forest
    denominator: float

    def score(self, X: np.ndarray) -> np.ndarray:
        return 2.0 ** (-self.forest.leaf_sum(X) / self.denominator)


def compile_anomaly(model: IsolationForest) -> Anomaly:
    from sklearn.ensemble._iforest import _average_path_length

    subsampled = model._max_features != model.n_features_in_  # otherwise trees saw every column as is
    trees = []
    for est, feats, path, avg in zip(model.estimators_, model.estimators_features_,
                                     model._decision_path_lengths, model._average_path_length_per_tree):
        trees.append(_cart(est, np.asarray(feats) if subsampled else None, values=path + avg - 1.0))
    denominator = len(model.estimators_) * float(_average_path_length([model._max_samples])[0])
    return Anomaly(_stack(trees, True), denominator)
