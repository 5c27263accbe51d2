"""Build a Keras model from a spec, with Keras's own layer deserialization."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SpecError, first_line

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .spec import Spec


def build_model(spec: Spec) -> keras.Model:
    """The spec's model: a ``keras.Sequential`` of its layers on a ``keras.Input`` of its shape,
    or what its factory returns.

    The input is ``(batch_size, *spec.model.input.shape)``: ``(batch_size, timesteps)`` word
    indices for the recurrent models, ``(batch_size, num_words)`` for the multi-hot baseline,
    ``(batch_size, timesteps, features)`` for a timeseries.

    Raises:
        SpecError: Keras refuses a layer's arguments (an unknown activation name, a kernel larger
            than its input, say), or the factory does not import, fails, or returns something
            that is not a Keras model; one line naming the spec path and the layer or factory.
    """
    import keras

    if spec.model.factory is not None:
        return _from_factory(spec)
    assert spec.model.input is not None and spec.model.layers is not None
    inputs = keras.Input(shape=tuple(spec.model.input.shape), dtype=spec.model.input.dtype)
    model = keras.Sequential(name=spec.name)
    model.add(inputs)
    for i, (layer, name) in enumerate(zip(spec.model.layers, layer_names(spec), strict=True)):
        config = {"module": "keras.layers", "class_name": layer.type,
                  "config": {**layer.keras_config(), "name": name}}
        try:
            model.add(keras.layers.deserialize(config))
        except Exception as exc:  # noqa: BLE001 - Keras raises many kinds for a bad argument
            raise SpecError(
                spec.path, [f"model.layers[{i}] ({layer.describe()}): Keras refused it: "
                            f"{keras_reason(exc)}"]
            ) from exc  # --debug shows Keras's traceback
    return model


def keras_reason(exc: BaseException) -> str:
    """What Keras objected to: ``keras.layers.deserialize`` wraps a layer's own error in two
    layers of "could not be deserialized ... Exception encountered: <reason>"; keep the reason."""
    text = str(exc)
    marker = "Exception encountered:"
    if marker in text:
        text = text.rsplit(marker, 1)[1]
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _from_factory(spec: Spec) -> keras.Model:
    """Import ``module:function``, call it with ``factory_args``, check it made a Keras model.

    The spec's folder and the working directory are importable, so a factory module can sit
    beside its spec.
    """
    import importlib
    import sys

    import keras

    target = spec.model.factory
    assert target is not None
    module_name, function_name = target.split(":")
    where = f"model.factory '{target}'"
    folder = str(Path(spec.path).resolve().parent) if spec.path else None
    added = [p for p in (folder, str(Path.cwd())) if p and p not in sys.path]
    sys.path[:0] = added
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - an import can fail in any way
        raise SpecError(spec.path, [f"{where}: cannot import module '{module_name}' "
                                    f"({type(exc).__name__}: {first_line(exc)})"]) from None
    finally:
        for p in added:
            sys.path.remove(p)
    function = getattr(module, function_name, None)
    if function is None:
        raise SpecError(spec.path, [f"{where}: module '{module_name}' has no function "
                                    f"'{function_name}'"])
    if not callable(function):
        raise SpecError(spec.path, [f"{where}: '{function_name}' in module '{module_name}' is a "
                                    f"{type(function).__name__}, not a function"])
    try:
        model = function(**spec.model.factory_args)
    except Exception as exc:  # noqa: BLE001 - the user's code
        raise SpecError(spec.path, [f"{where}: calling it with factory_args "
                                    f"{dict(spec.model.factory_args)} failed "
                                    f"({type(exc).__name__}: {first_line(exc)})"]) from None
    if not isinstance(model, keras.Model):
        raise SpecError(spec.path, [f"{where}: returned a {type(model).__name__}, not a Keras "
                                    "model (keras.Model)"])
    if not model.built:
        raise SpecError(spec.path, [f"{where}: returned a model that is not built; give it an "
                                    "Input (or build it) so its shapes and params are known"])
    return model


def layer_names(spec: Spec) -> list[str]:
    """Each layer's name: the spec's, else Keras's style (``simple_rnn``, ``simple_rnn_1``, ...).

    Named here rather than by Keras's global counter so that a layer's name does not depend on
    how many models were built before it in the same process.
    """
    names: list[str] = []
    seen: dict[str, int] = {}
    for layer in spec.model.layers or []:
        if layer.name:
            names.append(layer.name)
            continue
        # Keras's own snake case (keras.src.utils.naming.to_snake_case): Conv1D -> conv1d,
        # SimpleRNN -> simple_rnn, GlobalMaxPooling1D -> global_max_pooling1d.
        base = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", layer.type)
        base = re.sub("([a-z])([A-Z])", r"\1_\2", base).lower()
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.append(base if count == 0 else f"{base}_{count}")
    return names


def compile_model(model: keras.Model, spec: Spec, *, jit_compile: bool | str = "auto") -> None:
    """Compile with the spec's optimizer, loss and metrics.

    Args:
        jit_compile: ``True`` compiles the train and predict steps with XLA, ``"auto"`` is the
            Keras default (which leaves XLA off for these models with the TensorFlow backend).
    """
    import keras

    train = spec.train
    assert train is not None, "compile_model needs a spec with a train section"
    optimizer = keras.optimizers.get(train.optimizer)
    if train.learning_rate is not None:
        optimizer.learning_rate = train.learning_rate
    model.compile(
        optimizer=optimizer, loss=train.loss, metrics=list(train.metrics), jit_compile=jit_compile
    )


class CompiledModels:
    """Compiled models kept across seeds, so that N seeds of a spec pay for one compilation.

    Tracing and XLA compilation of a recurrent model's train step cost 10-40 s on 2 CPU cores,
    more than a short CI epoch. :meth:`fresh` builds the spec's model under the seed (so its
    initial weights are exactly those of a new model) and, when a compiled model of the same spec
    and execution mode is kept, copies those weights (and random-seed states) into it and puts the
    optimizer back to its state before the first step. The random seed is set again last, so the
    data shuffling of ``fit`` does not depend on whether the model was reused.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], tuple[keras.Model, list]] = {}

    def fresh(self, spec: Spec, seed: int, *, jit_compile: bool | str = "auto",
              deterministic: bool = False) -> tuple[keras.Model, keras.Model]:
        """A compiled model with the initial weights of seed ``seed``.

        Args:
            deterministic: also turn on TensorFlow op determinism
                (``tf.config.experimental.enable_op_determinism``; it stays on in this process).

        Returns:
            ``(compiled, built)``: the model to train, and the newly built one (to verify its
            shapes and params; it is the compiled one unless a kept model was reused).
        """
        import keras

        set_seed(seed, deterministic)
        built = build_model(spec)
        key = (spec.content_hash(), str(jit_compile))
        if key in self._kept:
            model, optimizer_start = self._kept[key]
            for kept_layer, new_layer in zip(model.layers, built.layers, strict=True):
                for kept, new in zip(kept_layer.variables, new_layer.variables, strict=True):
                    kept.assign(new)
            for variable, value in zip(model.optimizer.variables, optimizer_start, strict=True):
                variable.assign(value)
        else:
            model = built
            compile_model(model, spec, jit_compile=jit_compile)
            model.optimizer.build(model.trainable_variables)
            self._kept[key] = (model, [keras.ops.copy(v) for v in model.optimizer.variables])
        set_seed(seed, deterministic)
        return model, built


def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; with ``deterministic``, turn on op determinism."""
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
