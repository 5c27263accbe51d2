"""Load and validate spec files into typed, frozen objects.

A spec is a YAML file that declares one documented model: its layers with the expected output
shape and params of each, the data and training setup, the accuracy band, and the published
reference figures. :func:`load_spec` parses it once into a :class:`Spec`; the rest of the
pipeline reads attributes, never dicts.

One module per part of a spec file: ``layers`` and ``model`` (the model section), ``data``,
``train``, ``band`` (band and ci), ``reference``, and ``document`` (the whole file); ``loader``
reads YAML into a :class:`Spec`, ``messages`` words pydantic's errors, ``base`` holds what they
share.

This package does not import TensorFlow: ``harness validate`` checks a catalog in well under a
second.
"""

from __future__ import annotations

from .band import ACCURACY, BAND_METRIC, LOWER_IS_BETTER, Band, CiSpec, MinEffect
from .base import (
    Fraction,
    Frozen,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    Shape,
    did_you_mean,
)
from .data import (
    DATASETS,
    ArraysDataSpec,
    DataExpect,
    DataSpec,
    ImdbDataSpec,
    ImdbTextDataSpec,
    JenaDataSpec,
)
from .document import Spec
from .layers import (
    ACTIVATION_ARGS,
    HARNESS_LAYER_KEYS,
    REMOVED_KERAS2_ARGS,
    LayerExpect,
    LayerSpec,
    Pretrained,
    expected_rank,
    layer_problems,
)
from .loader import discover_specs, load_spec, load_specs, parse_spec
from .model import FACTORY, ModelExpect, ModelInput, ModelSpec
from .reference import Reference
from .train import RENAMED_KERAS2_TRAIN, Loss, Metric, Optimizer, TrainSpec, metric_key

__all__ = [
    "ACCURACY",
    "ACTIVATION_ARGS",
    "BAND_METRIC",
    "DATASETS",
    "FACTORY",
    "HARNESS_LAYER_KEYS",
    "LOWER_IS_BETTER",
    "REMOVED_KERAS2_ARGS",
    "RENAMED_KERAS2_TRAIN",
    "ArraysDataSpec",
    "Band",
    "CiSpec",
    "DataExpect",
    "DataSpec",
    "Fraction",
    "Frozen",
    "ImdbDataSpec",
    "ImdbTextDataSpec",
    "JenaDataSpec",
    "LayerExpect",
    "LayerSpec",
    "Loss",
    "Metric",
    "MinEffect",
    "ModelExpect",
    "ModelInput",
    "ModelSpec",
    "NonNegativeFloat",
    "NonNegativeInt",
    "Optimizer",
    "PositiveInt",
    "Pretrained",
    "Reference",
    "Shape",
    "Spec",
    "TrainSpec",
    "did_you_mean",
    "discover_specs",
    "expected_rank",
    "layer_problems",
    "load_spec",
    "load_specs",
    "metric_key",
    "parse_spec",
]
