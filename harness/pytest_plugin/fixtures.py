"""The fixtures the plugin gives users: ``harness_spec``, ``harness_model`` and
``harness_data`` (a spec's parsed file, built model and data)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from ..errors import MissingDataFile
from .items import import_tensorflow

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from ..data import Dataset
    from ..spec import Spec


def as_spec(spec_or_path: Spec | str | os.PathLike[str]) -> Spec:
    """A spec as given, or the spec file at the path parsed."""
    from ..spec import Spec, load_spec

    return spec_or_path if isinstance(spec_or_path, Spec) else load_spec(os.fspath(spec_or_path))


@pytest.fixture
def harness_spec() -> Callable[[str | os.PathLike[str]], Spec]:
    """``harness_spec(path)``: the spec file parsed into a typed, frozen :class:`harness.Spec`.

    A relative path is read from the working directory. No TensorFlow.

    Raises:
        harness.SpecError: the file does not parse or breaks the schema (every problem listed).
    """
    from ..spec import load_spec

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
        spec = as_spec(spec_or_path)
        import_tensorflow()
        from ..build import build_model, compile_model, set_seed

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
        from ..data import load_data

        try:
            return load_data(as_spec(spec_or_path), path if path is not None else given)
        except MissingDataFile as exc:  # under pytest the option is --harness-data
            raise MissingDataFile(str(exc).replace("pass --data PATH",
                                                   "pass --harness-data PATH")) from None

    return load


__all__ = ["as_spec", "harness_data", "harness_model", "harness_spec"]
