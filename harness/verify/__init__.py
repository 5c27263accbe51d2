"""Verify a built model against its spec: per-layer output shape and params, and totals.

Expected params are checked from two sides: against what Keras counts (``count_params()`` of the
built layer) and against closed-form counts from the layer equations (the table is
in :mod:`harness.verify.closed_form`), with d the size of the layer input's feature (channel) axis
and u its units.

d comes from the input shape of each layer, tracked through the layer list from
``model.input.shape`` with the rules of :func:`output_shape` (Embedding ``(batch_size,
timesteps, output_dim)``, Conv1D and pooling with their padding, strides and dilation, Flatten the
product of the non-batch dims, recurrent layers with ``return_sequences``, Bidirectional concat
doubling the features), and from a layer's ``expect.output_shape`` where the rules have none.

A layer with no closed form here (``LayerNormalization``, say) is not skipped silently: its row
says "no closed form" and it is listed in :attr:`Verification.unchecked`. A factory model
(``model.factory``) has no layer list in the spec, so its layers have no closed forms: its rows are
checked against ``model.expect.layers`` (by Keras layer name) and ``count_params()`` only, and the
verification says so in :attr:`Verification.notes`.

The trainable / non-trainable split (``trainable: false`` layers) is checked per layer
(``expect.trainable_params``) and in the totals, against Keras's weights and the closed forms.

Modules: ``kinds`` (layer types by rule), ``shapes`` (output shapes), ``closed_form`` (params
from the equations), ``rows`` (the result), ``check`` (the built model against the spec),
``tables`` (Markdown).
"""

from __future__ import annotations

from .check import measure, verify_model
from .closed_form import closed_form_params, has_closed_form, is_trainable, no_closed_form_note
from .kinds import (
    CONVOLUTIONS,
    DROPOUTS,
    GATES,
    GLOBAL_POOLINGS,
    MASK_KEEPING,
    POOLINGS,
    SHAPE_KEEPING,
    WRAPPERS,
    ZERO_PARAMS,
    kind,
)
from .rows import LayerRow, Verification, count_weights
from .shapes import (
    Shape,
    channels_first,
    layer_shapes,
    output_shape,
    sizes,
    split_channels,
)
from .tables import architecture_table, format_shape, mismatch_table, summary_table

__all__ = [
    "CONVOLUTIONS",
    "DROPOUTS",
    "GATES",
    "GLOBAL_POOLINGS",
    "MASK_KEEPING",
    "POOLINGS",
    "SHAPE_KEEPING",
    "WRAPPERS",
    "ZERO_PARAMS",
    "LayerRow",
    "Shape",
    "Verification",
    "architecture_table",
    "channels_first",
    "closed_form_params",
    "count_weights",
    "format_shape",
    "has_closed_form",
    "is_trainable",
    "kind",
    "layer_shapes",
    "measure",
    "mismatch_table",
    "no_closed_form_note",
    "output_shape",
    "sizes",
    "split_channels",
    "summary_table",
    "verify_model",
]
