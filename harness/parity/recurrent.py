"""NumPy references of the recurrent layers (SimpleRNN, LSTM, GRU) and of a Bidirectional
wrapper, one timestep at a time as the notebook's naive NumPy RNN is, with masks and
``go_backwards``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .layers import NoReference, activation, check_shape


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
    check_shape(w[1], (u, gates * u), f"{what} recurrent_kernel")
    check_shape(w[0], (w[0].shape[0], gates * u), f"{what} kernel")
    return w[0], w[1], (w[2] if use_bias else None), u


def _scan(step, x: np.ndarray, states: list[np.ndarray], mask: np.ndarray | None,
          return_sequences: bool, go_backwards: bool = False,
          zero_output_for_mask: bool = False) -> np.ndarray:
    """Run ``step(x_t, states) -> (output_t, states)`` over the timesteps of x.

    x is (batch_size, timesteps, features); mask (batch_size, timesteps) of bools or None.
    ``go_backwards`` reads the timesteps (and the mask) last to first, and returns the sequence in
    that order. A masked timestep keeps the states and outputs the previous output, or zeros with
    ``zero_output_for_mask``.
    Returns (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    if go_backwards:
        x = x[:, ::-1]
        mask = None if mask is None else np.asarray(mask)[:, ::-1]
    output = np.zeros_like(states[0])
    outputs = []
    for t in range(x.shape[1]):
        new_output, new_states = step(x[:, t], states)
        if mask is None:
            output, states = new_output, new_states
        else:
            keep = mask[:, t, None]
            output = np.where(keep, new_output, 0.0 if zero_output_for_mask else output)
            states = [np.where(keep, new, old) for new, old in zip(new_states, states, strict=True)]
        outputs.append(output)
    if return_sequences:
        return np.stack(outputs, axis=1) if outputs else np.zeros((x.shape[0], 0, output.shape[1]))
    return output


def simple_rnn(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
               return_sequences: bool = False, use_bias: bool = True,
               mask: np.ndarray | None = None, go_backwards: bool = False,
               zero_output_for_mask: bool = False) -> np.ndarray:
    """SimpleRNN: ``h_t = activation(x_t W + h_{t-1} U + b)``, h_0 = 0.

    Args:
        x: (batch_size, timesteps, features).
        weights: kernel (d, u), recurrent_kernel (u, u), bias (u,).
        mask: (batch_size, timesteps) bools, False = skip the timestep; or None.
        go_backwards: read the timesteps last to first (the sequence comes out in that order).

    Returns:
        (batch_size, timesteps, units) when return_sequences, else (batch_size, units).
    """
    kernel, recurrent, bias, u = _recurrent_weights(weights, use_bias, 1, "SimpleRNN")
    bias = np.zeros(u) if bias is None else bias
    check_shape(bias, (u,), "SimpleRNN bias")
    act = activation(activation_name)

    def step(x_t, states):
        h = act(x_t @ kernel + states[0] @ recurrent + bias)
        return h, [h]

    x = np.asarray(x, dtype=np.float64)
    return _scan(step, x, [np.zeros((x.shape[0], u))], mask, return_sequences, go_backwards,
                 zero_output_for_mask)


def lstm(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
         recurrent_activation: str = "sigmoid", return_sequences: bool = False,
         use_bias: bool = True, mask: np.ndarray | None = None, go_backwards: bool = False,
         zero_output_for_mask: bool = False) -> np.ndarray:
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
    check_shape(bias, (4 * u,), "LSTM bias")
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
    return _scan(step, x, [zeros, zeros], mask, return_sequences, go_backwards,
                 zero_output_for_mask)


def gru(x: np.ndarray, weights: Sequence[np.ndarray], activation_name: str = "tanh",
        recurrent_activation: str = "sigmoid", return_sequences: bool = False,
        use_bias: bool = True, reset_after: bool = True,
        mask: np.ndarray | None = None, go_backwards: bool = False,
        zero_output_for_mask: bool = False) -> np.ndarray:
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
        check_shape(bias, (2, 3 * u), "GRU bias (reset_after=True)")
        in_bias, rec_bias = bias[0], bias[1]
    elif bias is not None:
        check_shape(bias, (3 * u,), "GRU bias (reset_after=False)")
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
    return _scan(step, x, [np.zeros((x.shape[0], u))], mask, return_sequences, go_backwards,
                 zero_output_for_mask)


MERGE_MODES = ("concat", "sum", "mul", "ave")


def bidirectional(x: np.ndarray, weights: Sequence[np.ndarray],
                  forward: Callable[..., np.ndarray], merge_mode: str = "concat",
                  return_sequences: bool = False, mask: np.ndarray | None = None) -> np.ndarray:
    """Bidirectional: the wrapped recurrent layer run forward and, on a copy of its own weights,
    backward (``go_backwards=True``); with return_sequences the backward sequence is reversed back
    in time; then merged: ``concat`` (forward features first), ``sum``, ``mul`` or ``ave``.

    Args:
        x: (batch_size, timesteps, features).
        weights: the forward layer's weights, then the backward layer's.
        forward: ``forward(x, weights, go_backwards=..., mask=..., zero_output_for_mask=...)``,
            the wrapped layer's reference (a masked step outputs zeros when return_sequences, as
            Keras forces inside a Bidirectional).

    Returns:
        (batch_size, [timesteps,] 2u) for concat, else (batch_size, [timesteps,] u).
    """
    if merge_mode not in MERGE_MODES:
        raise NoReference(f"merge_mode {merge_mode!r} has no NumPy reference (two outputs)")
    half = len(weights) // 2
    if len(weights) != 2 * half or half == 0:
        raise ValueError(f"Bidirectional expects the forward and backward layers' weights, "
                         f"got {len(weights)} arrays")
    zero = return_sequences
    y = forward(x, weights[:half], go_backwards=False, mask=mask, zero_output_for_mask=zero)
    y_rev = forward(x, weights[half:], go_backwards=True, mask=mask, zero_output_for_mask=zero)
    if return_sequences:
        y_rev = y_rev[:, ::-1]
    if merge_mode == "concat":
        return np.concatenate([y, y_rev], axis=-1)
    if merge_mode == "sum":
        return y + y_rev
    if merge_mode == "mul":
        return y * y_rev
    return (y + y_rev) / 2.0
