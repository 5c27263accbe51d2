"""The test items of a spec file: ``validate``, ``verify``, ``parity`` and (opt-in) ``train``,
each failing in lines that name the spec and the figure (:class:`SpecCheckFailed`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..errors import HarnessError, MissingDataFile, SpecError, joined_lines
from .paths import display_path

if TYPE_CHECKING:  # pragma: no cover
    import keras
    from _pytest._code.code import TerminalRepr, TracebackStyle

    from ..spec import Spec

PARITY_REVIEWS = 4  # test reviews per parity check with --harness-data, as harness verify --parity

# spec name -> the file that has it, over the session (names must be unique: reports go by name)
SPEC_NAMES = pytest.StashKey[dict[str, str]]()


def import_tensorflow() -> None:
    """Import TensorFlow as the CLI does: its process settings first, start-up lines silenced."""
    from ..tfsetup import configure, import_quietly

    configure()
    import_quietly()


class SpecCheckFailed(Exception):
    """A check of a spec item failed: its problems, one line each (the item's tables are in its
    report sections, shown below the failure)."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class SpecFile(pytest.File):
    """One spec file: parsed once at collection (no TensorFlow), its model built once for the
    ``verify`` and ``parity`` items and dropped when they are done."""

    spec: Spec | None = None
    problems: list[str]
    duplicate: str | None = None
    _model: keras.Model | None = None

    def collect(self) -> Iterator[pytest.Item]:
        from ..spec import load_spec

        self.shown = display_path(self.path)
        self.problems = []
        try:
            self.spec = load_spec(self.shown)
        except SpecError as exc:
            self.problems = exc.problems
        else:
            owner = self.config.stash[SPEC_NAMES].setdefault(self.spec.name, self.shown)
            if owner != self.shown:
                self.duplicate = (f"name: '{self.spec.name}' is already the name of {owner}; "
                                  "spec names must be unique (reports are written per name)")
        yield ValidateItem.from_parent(self, name="validate")
        yield VerifyItem.from_parent(self, name="verify")
        yield ParityItem.from_parent(self, name="parity")
        if self.spec is not None and self.spec.trains:
            train = TrainItem.from_parent(self, name="train")
            train.add_marker(pytest.mark.slow)
            yield train

    def parsed(self) -> Spec:
        """The spec; skips the calling item when the file does not parse."""
        if self.spec is None:
            first = self.problems[0] if self.problems else "see its validate item"
            pytest.skip(f"the spec does not parse ({first}); see {self.nodeid}::validate")
        return self.spec

    def model(self) -> keras.Model:
        """The spec's model, built once for this file's items."""
        if self._model is None:
            import_tensorflow()
            from ..build import build_model

            self._model = build_model(self.parsed())
        return self._model

    def teardown(self) -> None:
        self._model = None


class SpecItem(pytest.Item):
    """An item of a spec file; a harness error fails it in lines naming the spec and figure."""

    parent: SpecFile

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: TracebackStyle | None = None) -> str | TerminalRepr:
        exc = excinfo.value
        problems = exc.problems if isinstance(exc, (SpecCheckFailed, SpecError)) else None
        if problems:
            return "\n".join(f"{self.nodeid}: {p}" for p in problems)
        if isinstance(exc, HarnessError):
            return f"{self.nodeid}: {joined_lines(str(exc))}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.parent.shown}::{self.name}"


class ValidateItem(SpecItem):
    """The schema check, against the committed table of Keras names (no TensorFlow)."""

    def runtest(self) -> None:
        if self.parent.problems:
            raise SpecCheckFailed(self.parent.problems)
        if self.parent.duplicate:
            raise SpecCheckFailed([self.parent.duplicate])


class VerifyItem(SpecItem):
    """Build the model; each layer's output shape and params, and the totals, as the spec says.

    The architecture table (``harness verify``'s) is the item's ``architecture`` report section,
    shown on failure and with ``-rP``.
    """

    def runtest(self) -> None:
        spec = self.parent.parsed()
        model = self.parent.model()
        from ..verify import architecture_table, measure

        result = measure(model, spec)
        self.add_report_section("call", "architecture", architecture_table(result))
        if not result.ok:
            raise SpecCheckFailed(result.problems)


class ParityItem(SpecItem):
    """Each layer's output against its NumPy reference, biases randomized first.

    Inputs as ``harness verify --parity``: seeded random ones, and with ``--harness-data PATH``
    also the first 4 test reviews. A layer without a reference is named in the ``parity`` report
    section, not failed (as the CLI); a factory model skips with the reason.
    """

    def runtest(self) -> None:
        spec = self.parent.parsed()
        if spec.model.factory is not None:
            pytest.skip(f"a factory model ({spec.model.factory}) has no layer list for the "
                        "NumPy references to follow")
        model = self.parent.model()
        from ..parity import measure_parity, random_inputs, randomize_biases, review_inputs

        randomize_biases(model, seed=0)
        batches = [("random inputs", random_inputs(spec, seed=0))]
        data = self.config.getoption("harness_data")
        if data is not None:
            x, words = review_inputs(spec, data, PARITY_REVIEWS)
            batches.append((words, x))
        problems: list[str] = []
        for words, x in batches:
            result = measure_parity(model, spec, x, inputs=words)
            self.add_report_section("call", f"parity on {words}, input shape {x.shape}",
                                    result.table())
            problems.extend(f"parity on {words}: {p}" for p in result.problems)
        if problems:
            raise SpecCheckFailed(problems)


class TrainItem(SpecItem):
    """Train the spec's CI schedule (its ``ci`` section), else its ``train`` section, with its
    seed, and check the band that applies (``ci.band``, else ``band``).

    Opt-in: marked ``slow``, and skipped unless ``--harness-train`` is given. Data as
    ``harness run``: ``--harness-data``, else the source's own look-up; a data file that is not on
    the machine skips with where to get it. Without a band to judge by, it skips (no vacuous
    pass). One seed; the accuracy gate (``harness gate --run``) judges many.
    """

    def runtest(self) -> None:
        if not self.config.getoption("harness_train"):
            pytest.skip("training is opt-in: pass --harness-train (and -m slow where addopts "
                        "has -m 'not slow')")
        spec = self.parent.parsed()
        from ..pipeline import RunOptions, band_for

        out = self.config.getoption("harness_out")
        with tempfile.TemporaryDirectory(prefix=f"harness-{spec.name}-") as temporary:
            given = {"data": self.config.getoption("harness_data"), "out": out or temporary}
            options = (RunOptions.for_ci(spec, **given) if spec.ci is not None
                       else RunOptions(**given))
            where = "ci.band" if spec.ci is not None else "band"
            band = band_for(spec, options.schedule_of(spec))
            if band is None:
                pytest.skip(f"no {where} to judge training by")
            import_tensorflow()
            from ..pipeline import run_spec

            try:
                with pytest.MonkeyPatch.context() as patch:
                    if not out:  # a run whose files are thrown away is no one's history
                        patch.setenv("HARNESS_DB", "off")
                    results = run_spec(spec, options)
            except MissingDataFile as exc:
                pytest.skip(f"data not on this machine: {exc}")
        verdict = results.band
        if verdict is None or verdict.verdict != "pass":
            value = None if verdict is None else verdict.value
            shown = "no value recorded" if value is None else f"{value:.4f}"
            schedule = "CI schedule" if spec.ci is not None else "train section"
            raise SpecCheckFailed([
                f"{where}: {band.metric} = {shown}, outside [{band.low}, {band.high}] "
                f"({schedule}, seed {results.execution.seed}, status "
                f"{results.status})"])


__all__ = ["PARITY_REVIEWS", "SPEC_NAMES", "ParityItem", "SpecCheckFailed", "SpecFile", "SpecItem",
           "TrainItem", "ValidateItem", "VerifyItem", "import_tensorflow"]
