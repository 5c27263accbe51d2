"""Numerical parity: NumPy forward passes of each layer, checked against the Keras layers.

Each reference is written from the layer's equations, one timestep at a time, the way the
notebook's naive NumPy RNN is (``output_t = tanh(W x_t + U h_{t-1} + b)``), and takes the weights
of a built Keras layer as ``layer.get_weights()`` returns them. The Keras 3 layouts relied on
(d = input features, u = units; gate blocks are consecutive slices of width u along the last axis):

- Embedding: ``[embeddings (input_dim, output_dim)]``.
- Dense: ``[kernel (d, u), bias (u,)]``; no bias when ``use_bias=False``.
- SimpleRNN: ``[kernel (d, u), recurrent_kernel (u, u), bias (u,)]``.
- LSTM: ``[kernel (d, 4u), recurrent_kernel (u, 4u), bias (4u,)]``, gates in the order
  i (input), f (forget), c (candidate), o (output).
- GRU: ``[kernel (d, 3u), recurrent_kernel (u, 3u), bias]``, gates in the order z (update),
  r (reset), h (candidate); bias ``(3u,)`` when ``reset_after=False``, ``(2, 3u)`` when
  ``reset_after=True``: row 0 is added to ``x W``, row 1 to ``h U`` (inside the reset gate's
  product for the candidate).

Source of the equations and layouts: the Keras 3 layers (``keras/src/layers/rnn/lstm.py``,
``gru.py``, ``simple_rnn.py``), whose docstrings cite Hochreiter & Schmidhuber (1997) and Cho et
al. (2014). A masked timestep (``Embedding(mask_zero=True)``) keeps the states and repeats the
previous output, as Keras does. Dropout is the identity at inference. The references compute in
float64, so a difference measures the Keras float32 computation's error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import ArchitectureMismatch, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .spec import Spec

DEFAULT_ATOL = 1e-5  # float32 outputs: the tolerance


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),  # Keras 3: relu6(x + 3) / 6
    "softmax": _softmax,
}


def activation(name: str | None) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy function of a Keras activation name (None = linear).

    Raises:
        ValueError: a name the references do not implement.
    """
    try:
        return ACTIVATIONS[name or "linear"]
    except KeyError:
        raise ValueError(
            f"activation '{name}' has no NumPy reference (known: {', '.join(ACTIVATIONS)})"
        ) from None


def _recurrent_weights(weights: Sequence[np.ndarray], use_bias: bool, gates: int,
                       what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """kernel (d, gates*u), recurrent_kernel (u, gates*u), bias or None, and u; float64."""
    want = 3 if use_bias else 2
    if len(weights) != want:
        raise ValueError(f"{what} expects {want} weight arrays "
                         f"(kernel, recurrent_kernel{', bias' if use_bias else ''}), "
                         f"got {len(weights)}")
    w = [np.asarray(a, dtype=np.float64) for a in weights]
    u = w[1].shape[0]
    _check_shape(w[1], (u, gates * u), f"{what} recurrent_kernel")
    _check_shape(w[0], (w[0].shape[0], gates * u), f"{what} kernel")
    return w[0], w[1], (w[2] if use_bias else None), u


def _check_shape(array: np.ndarray, shape: tuple, what: str) -> None:
    if array.shape != shape:
        raise ValueError(f"{what} has shape {array.shape}, the layout needs {shape}")


def _scan(step, x: np.ndarray, states: list[np.ndarray], mask: np.ndarray | None,
          return_sequences: bool) -> np.ndarray:
    """Run ``step(x_t, states) -> (output_t, states)`` over the timesteps of x.

    x is (batch_size, timesteps, features); mask (batch_size, timesteps) of bools or None.
    Returns (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    output = np.zeros_like(states[0])
    outputs = []
    for t in range(x.shape[1]):
        new_output, new_states = step(x[:, t], states)
        if mask is None:
            output, states = new_output, new_states
        else:
            # A masked timestep keeps the states and repeats the previous output.
            keep = mask[:, t, None]
            output = np.where(keep, new_output, output)
            states = [np.where(keep, new, old) for new, old in zip(new_states, states, strict=True)]
        outputs.append(output)
    if return_sequences:
        return np.stack(outputs, axis=1) if outputs else np.zeros((x.shape[0], 0, output.shape[1]))
    return output


def embedding(indices: np.ndarray, weights: Sequence[np.ndarray]) -> np.ndarray:
    """Embedding lookup: (batch_size, timesteps) ints -> (batch_size, timesteps, output_dim).

    Raises:
        ValueError: an index outside [0, input_dim) (NumPy would wrap a negative one silently).
    """
    (table,) = weights
    indices = np.asarray(indices)
    if indices.size and (indices.min() < 0 or indices.max() >= table.shape[0]):
        raise ValueError(f"indices must be in [0, {table.shape[0]}), got "
                         f"[{indices.min()}, {indices.max()}]")
    return np.asarray(table, dtype=np.float64)[indices]


def dense(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str | None = None,
          use_bias: bool = True) -> np.ndarray:
    """``activation(x kernel + bias)``: (batch_size, ..., d) -> (batch_size, ..., units)."""
    kernel = np.asarray(weights[0], dtype=np.float64)
    if len(weights) != (2 if use_bias else 1):
        raise ValueError(f"Dense expects {'kernel, bias' if use_bias else 'kernel'}, "
                         f"got {len(weights)} weight arrays")
    y = np.asarray(x, dtype=np.float64) @ kernel
    if use_bias:
        y = y + np.asarray(weights[1], dtype=np.float64)
    return activation(activation_name)(y)


def simple_rnn(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
               return_sequences: bool = False, use_bias: bool = True,
               mask: np.ndarray | None = None) -> np.ndarray:
    """SimpleRNN: ``h_t = activation(x_t W + h_{t-1} U + b)``, h_0 = 0.

    Args:
        x: (batch_size, timesteps, features).
        weights: kernel (d, u), recurrent_kernel (u, u), bias (u,).
        mask: (batch_size, timesteps) bools, False = skip the timestep; or None.

    Returns:
        (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    kernel, recurrent, bias, u = _recurrent_weights(weights, use_bias, 1, "SimpleRNN")
    bias = np.zeros(u) if bias is None else bias
    _check_shape(bias, (u,), "SimpleRNN bias")
    act = activation(activation_name)

    def step(x_t, states):
        h = act(x_t @ kernel + states[0] @ recurrent + bias)
        return h, [h]

    x = np.asarray(x, dtype=np.float64)
    return _scan(step, x, [np.zeros((x.shape[0], u))], mask, return_sequences)


def lstm(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
         recurrent_activation: str = "sigmoid", return_sequences: bool = False,
         use_bias: bool = True, mask: np.ndarray | None = None) -> np.ndarray:
    """LSTM, gates i, f, c, o (h_0 = c_0 = 0)::

        i = rec(x W_i + h U_i + b_i)     f = rec(x W_f + h U_f + b_f)
        o = rec(x W_o + h U_o + b_o)     c = f * c + i * act(x W_c + h U_c + b_c)
        h = o * act(c)

    Args:
        x: (batch_size, timesteps, features).
        weights: kernel (d, 4u), recurrent_kernel (u, 4u), bias (4u,), gate blocks i, f, c, o.

    Returns:
        (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    kernel, recurrent, bias, u = _recurrent_weights(weights, use_bias, 4, "LSTM")
    bias = np.zeros(4 * u) if bias is None else bias
    _check_shape(bias, (4 * u,), "LSTM bias")
    act, rec = activation(activation_name), activation(recurrent_activation)

    def step(x_t, states):
        h, c = states
        z = x_t @ kernel + h @ recurrent + bias
        zi, zf, zc, zo = np.split(z, 4, axis=-1)
        c = rec(zf) * c + rec(zi) * act(zc)
        h = rec(zo) * act(c)
        return h, [h, c]

    x = np.asarray(x, dtype=np.float64)
    zeros = np.zeros((x.shape[0], u))
    return _scan(step, x, [zeros, zeros], mask, return_sequences)


def gru(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
        recurrent_activation: str = "sigmoid", return_sequences: bool = False,
        use_bias: bool = True, reset_after: bool = True,
        mask: np.ndarray | None = None) -> np.ndarray:
    """GRU, gates z, r, h (h_0 = 0)::

        z = rec(x W_z + b_z + h U_z + b'_z)     r = rec(x W_r + b_r + h U_r + b'_r)
        reset_after=True:  h~ = act(x W_h + b_h + r * (h U_h + b'_h))
        reset_after=False: h~ = act(x W_h + b_h + (r * h) U_h)       (no b')
        h = z * h + (1 - z) * h~

    Args:
        x: (batch_size, timesteps, features).
        weights: kernel (d, 3u), recurrent_kernel (u, 3u), and bias: (2, 3u) with the input bias b
            in row 0 and the recurrent bias b' in row 1 when reset_after, else (3u,).

    Returns:
        (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    kernel, recurrent, bias, u = _recurrent_weights(weights, use_bias, 3, "GRU")
    if bias is not None and reset_after:
        _check_shape(bias, (2, 3 * u), "GRU bias (reset_after=True)")
        in_bias, rec_bias = bias[0], bias[1]
    elif bias is not None:
        _check_shape(bias, (3 * u,), "GRU bias (reset_after=False)")
        in_bias, rec_bias = bias, np.zeros(3 * u)
    else:
        in_bias = rec_bias = np.zeros(3 * u)
    act, rec = activation(activation_name), activation(recurrent_activation)

    def step(x_t, states):
        h = states[0]
        xz, xr, xh = np.split(x_t @ kernel + in_bias, 3, axis=-1)
        if reset_after:
            hz, hr, hh = np.split(h @ recurrent + rec_bias, 3, axis=-1)
            z, r = rec(xz + hz), rec(xr + hr)
            candidate = act(xh + r * hh)
        else:
            z = rec(xz + h @ recurrent[:, :u])
            r = rec(xr + h @ recurrent[:, u:2 * u])
            candidate = act(xh + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1.0 - z) * candidate
        return h, [h]

    x = np.asarray(x, dtype=np.float64)
    return _scan(step, x, [np.zeros((x.shape[0], u))], mask, return_sequences)


def reference_forward(layer_spec, weights: Sequence[np.ndarray], x: np.ndarray,
                      mask: np.ndarray | None = None) -> np.ndarray:
    """The NumPy output of one spec layer (a :mod:`harness.spec` layer) on input x.

    Raises:
        ValueError: weights that do not have the layout above, or an activation without a
            reference.
    """
    t = layer_spec.type
    if t == "Embedding":
        return embedding(x, weights)
    if t == "Dropout":
        return np.asarray(x, dtype=np.float64)  # the identity at inference
    if t == "Dense":
        return dense(x, weights, layer_spec.activation, layer_spec.use_bias)
    common = {"activation_name": layer_spec.activation,
              "return_sequences": layer_spec.return_sequences,
              "use_bias": layer_spec.use_bias, "mask": mask}
    if t == "SimpleRNN":
        return simple_rnn(x, weights, **common)
    if t == "LSTM":
        return lstm(x, weights, recurrent_activation=layer_spec.recurrent_activation, **common)
    if t == "GRU":
        return gru(x, weights, recurrent_activation=layer_spec.recurrent_activation,
                   reset_after=layer_spec.reset_after, **common)
    raise ValueError(f"no NumPy reference for layer type {t}")


def output_mask(layer_spec, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
    """The mask a layer passes on, as Keras propagates it: (batch_size, timesteps) or None."""
    if layer_spec.type == "Embedding":
        return np.asarray(x) != 0 if layer_spec.mask_zero else None
    if layer_spec.type in ("SimpleRNN", "LSTM", "GRU") and not layer_spec.return_sequences:
        return None
    return mask


# ---------------------------------------------------------------------------------------------
# Whole models


@dataclass(frozen=True)
class ParityRow:
    """One layer's largest absolute difference between its Keras and NumPy outputs."""

    name: str
    type: str
    output_shape: tuple
    max_abs_diff: float
    atol: float

    @property
    def ok(self) -> bool:
        return bool(self.max_abs_diff <= self.atol)  # NaN is not ok


@dataclass(frozen=True)
class ParityResult:
    """Per-layer rows, each layer fed the Keras output of the layer before it, and a last row
    ``model`` comparing the model's output with the NumPy layers chained from the input alone."""

    rows: list[ParityRow]
    inputs: str = ""

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def problems(self) -> list[str]:
        return [f"{r.name} ({r.type}) differs by {r.max_abs_diff:.2e} > {r.atol:.0e}"
                for r in self.rows if not r.ok]

    def table(self) -> str:
        """Markdown: layer (type), output shape, max abs diff, tolerance, ok."""
        from tabulate import tabulate

        rows = [[f"{r.name} ({r.type})", str(r.output_shape), f"{r.max_abs_diff:.2e}",
                 f"{r.atol:.0e}", "ok" if r.ok else "DIFFERS"] for r in self.rows]
        return tabulate(rows, headers=["layer (type)", "output shape", "max abs diff",
                                       "tolerance", "ok"],
                        tablefmt="github", disable_numparse=True)


def randomize_biases(model: keras.Model, seed: int = 0, scale: float = 0.1) -> None:
    """Set every bias of the model to N(0, scale^2) values.

    A freshly built model's biases are zeros (the LSTM forget gate's ones), which would hide a
    bias-layout error (a GRU's two bias rows swapped, say); kernels keep their initial values,
    whose scale keeps the activations out of saturation.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = [rng.normal(0.0, scale, w.shape).astype(w.dtype) if v.name == "bias" else w
                  for v, w in zip(layer.weights, layer.get_weights(), strict=True)]
        if values:
            layer.set_weights(values)


def measure_parity(model: keras.Model, spec: Spec, x: np.ndarray,
                   atol: float = DEFAULT_ATOL, inputs: str = "") -> ParityResult:
    """Run x through the model and through the NumPy references, layer by layer; raise nothing.

    Args:
        model: built from ``spec`` (its layers in the spec's order).
        x: the model's input: (batch_size, timesteps) int indices, or (batch_size, features).
        atol: the largest absolute difference allowed per output value.
        inputs: words describing x for the report (``random``, ``4 reviews``).

    Raises:
        ArchitectureMismatch: the model's layers do not pair with the spec's, or a layer's weights
            do not have the layout its reference needs.
        UsageError: a layer uses an activation the references do not implement.
    """
    import keras

    if len(model.layers) != len(spec.model.layers):
        raise ArchitectureMismatch(f"{spec.path}: the model has {len(model.layers)} layers, the "
                                   f"spec {len(spec.model.layers)}; rebuild it from the spec")
    probe = keras.Model(model.inputs[0], [layer.output for layer in model.layers])
    # predict runs a compiled graph (inference mode, Dropout off): several times faster than an
    # eager call over 500 timesteps.
    outputs = probe.predict(x, batch_size=len(x), verbose=0)
    keras_outputs = [np.asarray(y) for y in (outputs if isinstance(outputs, list) else [outputs])]
    rows = []
    layer_in, chained, mask = np.asarray(x), np.asarray(x), None
    for i, (layer, ls) in enumerate(zip(model.layers, spec.model.layers, strict=True)):
        try:
            weights = layer.get_weights()
            mine = reference_forward(ls, weights, layer_in, mask)
            chained = reference_forward(ls, weights, chained, mask)
        except ValueError as exc:
            where = f"{spec.path}: model.layers[{i}] ({ls.type})"
            if str(exc).startswith("activation"):
                raise UsageError(f"{where}: {exc}; verify this spec without --parity") from None
            raise ArchitectureMismatch(f"{where}: {exc}; the layer's weights do not have the "
                                       "layout of harness/parity.py") from None
        theirs = keras_outputs[i]
        diff = _max_abs_diff(mine, theirs, f"{spec.path}: model.layers[{i}] ({ls.type})")
        rows.append(ParityRow(layer.name, type(layer).__name__, theirs.shape, diff, atol))
        mask = output_mask(ls, layer_in, mask)
        layer_in = theirs
    diff = _max_abs_diff(chained, keras_outputs[-1], f"{spec.path}: the model's output")
    rows.append(ParityRow("model", "end to end", keras_outputs[-1].shape, diff, atol))
    return ParityResult(rows, inputs)


def _max_abs_diff(mine: np.ndarray, theirs: np.ndarray, where: str) -> float:
    if mine.shape != theirs.shape:
        raise ArchitectureMismatch(f"{where}: Keras outputs shape {theirs.shape}, the NumPy "
                                   f"reference {mine.shape}; check return_sequences")
    if mine.size == 0:
        return 0.0
    return float(np.max(np.abs(mine - theirs.astype(np.float64))))


def check_model_parity(model: keras.Model, spec: Spec, x: np.ndarray,
                       atol: float = DEFAULT_ATOL, inputs: str = "") -> ParityResult:
    """Like :func:`measure_parity`, but raise when a layer differs by more than atol.

    Raises:
        ArchitectureMismatch: one line naming the spec and each differing layer, with the per-layer
            table in ``.table``.
    """
    result = measure_parity(model, spec, x, atol, inputs)
    if not result.ok:
        on = f" on {inputs}" if inputs else ""
        raise ArchitectureMismatch(
            f"{spec.path}: the model differs from the NumPy reference{on}: "
            + "; ".join(result.problems)
            + "; a layer does not compute the equations of harness/parity.py for its weights",
            table=result.table(),
        )
    return result


def random_inputs(spec: Spec, batch_size: int = 4, timesteps: int = 100,
                  seed: int = 0) -> np.ndarray:
    """Seeded model input of the spec's shape.

    Returns:
        (batch_size, timesteps) int32 indices in [0, input_dim) when the first layer is an
        Embedding (an open timestep axis gets ``timesteps``); else (batch_size, *input shape)
        float32, 0/1 values for a multi-hot input, standard normal otherwise.
    """
    rng = np.random.default_rng(seed)
    shape = (batch_size, *(timesteps if d is None else d for d in spec.model.input.shape))
    first = spec.model.layers[0]
    if first.type == "Embedding":
        return rng.integers(0, first.input_dim, size=shape, dtype=np.int32)
    if spec.data is not None and spec.data.representation == "multi_hot":
        return (rng.random(shape) < 0.02).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


REVIEWS_MAXLEN = 500  # the book's pad_sequences(maxlen=500), for specs without a data section


def review_inputs(spec: Spec, path: str, n: int = 4) -> tuple[np.ndarray, str]:
    """The first n encoded test reviews of the Stanford archive or folder, as the spec's input.

    A spec without a data section (architecture only) whose first layer is an Embedding gets the
    book's encoding: num_words = the Embedding's input_dim, maxlen 500, padding at the front.

    Returns:
        x: (n, maxlen) int32 or (n, num_words) float32 multi-hot; and words saying what x is.

    Raises:
        UsageError: a spec without a data section whose input is not word indices.
        DataError: as :func:`harness.data.load_imdb`.
    """
    from .data import load_imdb_test_head
    from .spec import DataSpec

    data_spec, note = spec.data, ""
    if data_spec is None:
        first = spec.model.layers[0]
        if first.type != "Embedding":
            raise UsageError(f"{spec.path}: no data section, and the model's input is not word "
                             "indices; add a data section to check it on reviews")
        data_spec = DataSpec(num_words=first.input_dim, maxlen=REVIEWS_MAXLEN)
        note = f" (no data section: num_words {first.input_dim}, maxlen {REVIEWS_MAXLEN}, pre)"
    x, _ = load_imdb_test_head(data_spec, path, n)
    return x, f"{len(x)} test reviews of {path}{note}"
