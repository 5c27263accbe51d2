"""pytest plugin: spec files as test items, and fixtures that build a spec's model and data.

Registered as the ``pytest11`` entry point ``harness`` (``-p no:harness`` turns it off), it
follows pytest's own "YAML test files" example: :func:`pytest_collect_file` turns each spec file
into a :class:`SpecFile` whose items are

- ``validate``: the schema check of :func:`harness.spec.load_spec`, and a name no other spec of
  the session has (no TensorFlow);
- ``verify``: the model built (:func:`harness.build.build_model`) and every layer's output shape
  and params, and the totals, checked by :func:`harness.verify.measure`;
- ``parity``: each layer's output against its NumPy reference (:mod:`harness.parity`), on the
  seeded random inputs of ``harness verify --parity`` (and 4 test reviews with
  ``--harness-data PATH``); a factory model skips with the reason;
- ``train`` (specs with a ``train`` section only): the spec's CI schedule (its ``ci`` section),
  else its ``train`` section, one run of the spec's seed, judged against ``ci.band`` or
  ``band``. Opt-in twice: it is marked ``slow``, and skips with the reason unless
  ``--harness-train`` is given.

Which files are specs: a ``.yaml``/``.yml`` file named on the command line, or one whose path
relative to pytest's rootdir (or to the folder pytest was started in) matches a glob of the ini
option ``harness_specs`` (default ``specs/*.yaml specs/*.yml``; ``*`` stays inside a folder,
``**`` spans folders). Spec files used as test fixtures elsewhere
(``tests/data/specs/bad_*.yaml``) are never collected by accident.

A failure reads ``specs/imdb_lstm.yaml::verify: model.layers[1] (LSTM): params differ: expected
8,321, built 8,320``, one line per figure, with the item's table below it (``verify``: the
architecture table of ``harness verify``, ``parity``: the per-layer differences; ``-rP`` shows
them for passing items too); a
spec that does not parse fails ``validate`` with its one-line error and its other items skip
naming that. TensorFlow is imported only when an item or fixture builds a model.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .errors import HarnessError, MissingDataFile, SpecError

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .data import Dataset
    from .spec import Spec

DEFAULT_SPEC_GLOBS = ("specs/*.yaml", "specs/*.yml")
PARITY_REVIEWS = 4  # test reviews per parity check with --harness-data, as harness verify --parity
SLOW_MARKER = "slow: trains a model for longer than a few seconds (opt-in: -m slow)"

# spec name -> the file that has it, over the session (names must be unique: reports go by name)
_NAMES = pytest.StashKey[dict[str, str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "keras-harness spec files (harness.pytest_plugin)")
    group.addoption("--harness-train", action="store_true", default=False,
                    help="run the 'train' item of each spec (also marked slow: add -m slow "
                    "where addopts deselects it)")
    group.addoption("--harness-data", metavar="PATH", default=None,
                    help="the data file, archive or folder, as harness --data: read by the "
                    "train items and the harness_data fixture (default: the source's own "
                    "look-up, $HARNESS_IMDB_DATA...) and by the parity items (4 test reviews)")
    group.addoption("--harness-out", metavar="DIR", default=None,
                    help="where train items write their reports (default: a temporary folder, "
                    "removed after the item)")
    parser.addini("harness_specs", type="args", default=list(DEFAULT_SPEC_GLOBS),
                  help="globs, relative to the rootdir or to where pytest started, of the "
                  "YAML files collected as spec files (default: specs/*.yaml specs/*.yml)")


def pytest_configure(config: pytest.Config) -> None:
    if not any(line.split(":")[0].strip() == "slow" for line in config.getini("markers")):
        config.addinivalue_line("markers", SLOW_MARKER)
    config.stash[_NAMES] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    config = parent.config
    # A project without a config file gets the common folder of the arguments as rootdir
    # (``specs/`` itself for ``pytest specs/``): globs also match from where pytest started.
    bases = (config.rootpath, config.invocation_params.dir)
    globs = config.getini("harness_specs")
    if parent.session.isinitpath(file_path) or any(is_spec_path(file_path, base, globs)
                                                   for base in bases):
        return SpecFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    report = yield
    if isinstance(item, SpecItem) and report.skipped and isinstance(report.longrepr, tuple):
        # A skip inside an item is located at the spec file, not at the plugin line raising it.
        report.longrepr = (str(item.path), None, report.longrepr[2])
    return report


def is_spec_path(path: Path, base: Path, globs: Sequence[str]) -> bool:
    """Whether ``path``, relative to the folder ``base``, matches one of ``globs``.

    Each glob is matched folder by folder: ``specs/*.yaml`` is ``specs/x.yaml`` under ``base``,
    not ``tests/data/specs/x.yaml`` nor ``specs/sub/x.yaml``; ``**`` matches any number of
    folders (``**/specs/*.yaml``).
    """
    try:
        parts = path.resolve().relative_to(base.resolve()).parts
    except ValueError:
        return False
    return any(_match(parts, tuple(p for p in glob.replace("\\", "/").split("/") if p))
               for glob in globs)


def _match(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) \
        and _match(parts[1:], pattern[1:])


def _shown(path: Path) -> str:
    """The path as the harness names it: relative to the working directory when under it (so that
    a factory module or an arrays file relative to the spec is found), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _tensorflow() -> None:
    """Import TensorFlow as the CLI does: its process settings first, start-up lines silenced."""
    from .tfsetup import configure, import_quietly

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
        from .spec import load_spec

        self.shown = _shown(self.path)
        self.problems = []
        try:
            self.spec = load_spec(self.shown)
        except SpecError as exc:
            self.problems = exc.problems
        else:
            owner = self.config.stash[_NAMES].setdefault(self.spec.name, self.shown)
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
            _tensorflow()
            from .build import build_model

            self._model = build_model(self.parsed())
        return self._model

    def teardown(self) -> None:
        self._model = None


class SpecItem(pytest.Item):
    """An item of a spec file; a harness error fails it in lines naming the spec and figure."""

    parent: SpecFile

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        exc = excinfo.value
        problems = exc.problems if isinstance(exc, (SpecCheckFailed, SpecError)) else None
        if problems:
            return "\n".join(f"{self.nodeid}: {p}" for p in problems)
        if isinstance(exc, HarnessError):
            text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            return f"{self.nodeid}: {text}"
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
        from .verify import architecture_table, measure

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
        from .parity import measure_parity, random_inputs, randomize_biases, review_inputs

        randomize_biases(model, seed=0)
        batches = [("random inputs", random_inputs(spec, seed=0))]
        data = self.config.getoption("harness_data")
        if data is not None:
            x, words = review_inputs(spec, data, PARITY_REVIEWS)
            batches.append((words, x))
        problems = []
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
        from .pipeline import RunOptions, band_for

        out = self.config.getoption("harness_out")
        with tempfile.TemporaryDirectory(prefix=f"harness-{spec.name}-") as temporary:
            given = {"data": self.config.getoption("harness_data"), "out": out or temporary}
            options = (RunOptions.for_ci(spec, **given) if spec.ci is not None
                       else RunOptions(**given))
            where = "ci.band" if spec.ci is not None else "band"
            band = band_for(spec, options.schedule_of(spec))
            if band is None:
                pytest.skip(f"no {where} to judge training by")
            _tensorflow()
            from .pipeline import run_spec

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


# ---------------------------------------------------------------------------------------------
# Fixtures


def _as_spec(spec_or_path: Spec | str | os.PathLike[str]) -> Spec:
    from .spec import Spec, load_spec

    return spec_or_path if isinstance(spec_or_path, Spec) else load_spec(os.fspath(spec_or_path))


@pytest.fixture
def harness_spec() -> Callable[[str | os.PathLike[str]], Spec]:
    """``harness_spec(path)``: the spec file parsed into a typed, frozen :class:`harness.Spec`.

    A relative path is read from the working directory. No TensorFlow.

    Raises:
        harness.SpecError: the file does not parse or breaks the schema (every problem listed).
    """
    from .spec import load_spec

    def load(path: str | os.PathLike[str]) -> Spec:
        return load_spec(os.fspath(path))

    return load


@pytest.fixture
def harness_model() -> Callable[..., keras.Model]:
    """``harness_model(spec_or_path, *, seed=None, compiled=True)``: the spec's built model.

    A ``keras.Sequential`` of the spec's layers on ``keras.Input((batch_size,
    *model.input.shape))`` (``(None, timesteps)`` word indices for the recurrent classifiers,
    ``(None, num_words)`` for the multi-hot baseline, ``(None, timesteps, features)`` for a
    timeseries), or what its factory returns; its weights are those of ``seed`` (default: the
    spec's ``train.seed``, 0 without a train section). With ``compiled`` it is compiled with the
    spec's optimizer, loss and metrics (a spec without a train section stays uncompiled). It is
    not checked against the spec's expectations: :func:`harness.verify.verify_model` does that.
    A pretrained Embedding keeps its initial weights (the vectors need the data's word index).

    Raises:
        harness.SpecError: the spec does not parse, or Keras refuses a layer's arguments.
    """

    def build(spec_or_path: Spec | str | os.PathLike[str], *, seed: int | None = None,
              compiled: bool = True) -> keras.Model:
        spec = _as_spec(spec_or_path)
        _tensorflow()
        from .build import build_model, compile_model, set_seed

        set_seed(seed if seed is not None else spec.train.seed if spec.train else 0)
        model = build_model(spec)
        if compiled and spec.trains:
            compile_model(model, spec)
        return model

    return build


@pytest.fixture
def harness_data(request: pytest.FixtureRequest) -> Callable[..., Dataset]:
    """``harness_data(spec_or_path, path=None)``: the spec's data, as ``harness run`` loads it.

    ``path`` is ``--data``'s: default ``--harness-data``, else the source's own look-up
    (``$HARNESS_IMDB_DATA``, ``$HARNESS_JENA_DATA``, ``data.file`` of an arrays spec, Keras's
    download for ``imdb``). The :class:`harness.data.Dataset` holds ``x_train`` ``(samples,
    maxlen)`` int32 word indices (``(samples, num_words)`` float32 for ``representation:
    multi_hot``), ``y_train`` ``(samples,)``, ``x_test``/``y_test`` likewise, ``x_val``/``y_val``
    when the source holds validation data out; a generator source (``jena_climate``) has no
    arrays but ``windows`` (batches of ``(batch_size, lookback // step, features)``).

    Raises:
        harness.DataError: the data is missing (``MissingDataFile``, naming where to get it),
            unreadable or malformed.
    """
    given = request.config.getoption("harness_data")

    def load(spec_or_path: Spec | str | os.PathLike[str],
             path: str | os.PathLike[str] | None = None) -> Dataset:
        from .data import load_data

        try:
            return load_data(_as_spec(spec_or_path), path if path is not None else given)
        except MissingDataFile as exc:  # under pytest the option is --harness-data
            raise MissingDataFile(str(exc).replace("pass --data PATH",
                                                   "pass --harness-data PATH")) from None

    return load
