"""The typed shape of the results documents: a run's, a bench's and the gate's verdict.

A run file (``reports/<spec>/runs/<run id>.json``, a ``results.json``) is read into a
:class:`RunResult`, a ``harness bench`` document into a :class:`BenchResult`, and the gate's
``--json`` verdict is built as a :class:`VerdictDocument`; code reads and sets their attributes,
not dict keys. The JSON on disk is unchanged (:mod:`harness.results` writes it and upgrades an
older ``schema_version`` before validating):

- every model keeps fields it does not name (``extra="allow"``), so a document from an older or
  newer harness survives a round trip;
- a field a document lacks takes a default and is not written back (``exclude_unset``);
- a document is written back with its keys in the order it was read, fields set later after
  them (the order the pipeline builds a run file in), so load + write gives the same JSON.

The models are lenient on purpose: every field of a run has a default, so a figure can be read
off a partial document (a published reference in a run's layout, a test's hand-built run).
What a results *file* must hold is checked when it is loaded
(:func:`harness.results.check_results`). Nothing here imports TensorFlow.

The models by document: :mod:`.document` (the base, :class:`Document`), :mod:`.run` (a run's,
and :class:`RunFileCheck`), :mod:`.bench` (a bench's), :mod:`.verdict` (the gate's); every
name is importable from ``harness.result_types`` itself.
"""

from __future__ import annotations

from .bench import (
    BenchComparison,
    BenchData,
    BenchDevice,
    BenchLike,
    BenchMachine,
    BenchRecord,
    BenchResult,
    BenchSettings,
    BenchSpec,
    CudnnRow,
    FlopsFigures,
    FlopsLayer,
    FullRunSummary,
    InferenceFigures,
    MemoryFigures,
    OverheadRatios,
    PublishedFigure,
    SpeedupRatios,
    TrainFigures,
    TrialRecord,
)
from .document import Document, Number
from .run import (
    Architecture,
    BandVerdict,
    Checkpoint,
    ContractRow,
    Cpu,
    DataRecord,
    Environment,
    Execution,
    Gpu,
    LayerRow,
    ReferenceRecord,
    Resumed,
    RunFigures,
    RunFileCheck,
    RunLike,
    RunOptionsRecord,
    RunResult,
    Schedule,
    SpecRef,
    TestFigures,
    as_run,
)
from .verdict import GroupVerdict, MetricVerdict, SummaryRecord, VerdictDocument

__all__ = ["Architecture", "BandVerdict", "BenchComparison", "BenchData", "BenchDevice",
           "BenchLike", "BenchMachine", "BenchRecord", "BenchResult", "BenchSettings",
           "BenchSpec", "Checkpoint", "ContractRow", "Cpu", "CudnnRow", "DataRecord", "Document",
           "Environment", "Execution", "FlopsFigures", "FlopsLayer", "FullRunSummary", "Gpu",
           "GroupVerdict", "InferenceFigures", "LayerRow", "MemoryFigures", "MetricVerdict",
           "Number", "OverheadRatios", "PublishedFigure", "ReferenceRecord", "Resumed",
           "RunFigures", "RunFileCheck", "RunLike", "RunOptionsRecord", "RunResult", "Schedule",
           "SpecRef", "SpeedupRatios", "SummaryRecord", "TestFigures", "TrainFigures",
           "TrialRecord", "VerdictDocument", "as_run"]
