"""keras-harness: test-and-benchmark harness for Keras/TensorFlow reference models.

Pipeline, one module per stage: ``spec`` (load + validate) -> ``data`` -> ``build`` ->
``verify`` -> ``train`` -> ``results`` -> ``report`` / ``gate`` (with ``stats`` over seeds),
with ``pipeline`` running them for ``harness run`` and ``cli`` on top; ``errors`` at the bottom.

Importing the package does not import TensorFlow; the stages that need it import it lazily.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    ArchitectureMismatch,
    DataError,
    HarnessError,
    RegressionDetected,
    ResultsError,
    SpecError,
    TrainingError,
    UsageError,
)
from .spec import Spec, load_spec, load_specs  # noqa: E402

__all__ = [
    "ArchitectureMismatch",
    "DataError",
    "HarnessError",
    "RegressionDetected",
    "ResultsError",
    "Spec",
    "SpecError",
    "TrainingError",
    "UsageError",
    "__version__",
    "load_spec",
    "load_specs",
]
