r"""Looking inside a network: sizes, receptive fields, costs, information and symmetry.

The articles argue for CNNs with numbers: a fully connected neuron on a
``3 x 256 x 256`` image has 196,608 weights and an ``n x n`` hidden layer on an
``n x n`` image needs ``n**4``, while a convolution shares one small kernel
everywhere (:func:`compare_mlp_cnn`); stacking convolutions and poolings widens
what each unit sees (:func:`receptive_field`); a layer keeps some information
about its input and discards the rest (:func:`mutual_information`); a
convolution commutes with shifts while a strided pooling trades that for
approximate invariance (:func:`equivariance_error`, :func:`invariance_error`).

The package is cut by topic: :mod:`~convolab.analysis.observe` (running a model
once and observing every layer), :mod:`~convolab.analysis.receptive`,
:mod:`~convolab.analysis.counts` (parameters, FLOPs, the summary, MLP against
CNN), :mod:`~convolab.analysis.information`, :mod:`~convolab.analysis.equivariance`
and :mod:`~convolab.analysis.classic` (learned against classic kernels). Layers
are told apart by what they declare (``Module.kind``, ``Module.window()``).

Model functions take any :class:`convolab.nn.Module`. They run the model once on
zeros (or on the data given) with every leaf module's ``forward`` observed, so
the shapes are the model's real ones and the layers appear in the order they are
called, whatever the nesting.

Receptive-field arithmetic, per spatial axis, for a layer with kernel ``k``,
stride ``s``, dilation ``d`` and padding ``p`` (before the first element), on
``r`` (size), ``j`` (jump: input pixels between neighbouring outputs) and
``c`` (centre of output 0's window, in input coordinates), starting from
``r = 1, j = 1, c = 0``:

.. math::

    k_e = d (k - 1) + 1, \quad r' = r + (k_e - 1) j, \quad
    c' = c + \left(\tfrac{k_e - 1}{2} - p\right) j, \quad j' = j s.

Element-wise layers (activations, batch norm, dropout) change nothing; a layer
that mixes every position (``Flatten``, ``Linear``, global pooling) widens the
field to the whole current map, ``r' = r + (n - 1) j``.

>>> from convolab import analysis
>>> analysis.receptive_field_chain([(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)])[-1].size
32
>>> analysis.compare_mlp_cnn((3, 256, 256)).weights_per_neuron
196608
"""


from convolab.analysis.classic import ClassicMatch, classic_bank, nearest_classic
from convolab.analysis.counts import (
    LayerSummary,
    MlpCnnComparison,
    ModelSummary,
    compare_mlp_cnn,
    flops,
    param_count,
    summary,
)
from convolab.analysis.equivariance import equivariance_error, invariance_error
from convolab.analysis.information import (
    LayerInformation,
    entropy,
    information_per_layer,
    mutual_information,
)
from convolab.analysis.observe import Activation, activations
from convolab.analysis.receptive import ReceptiveField, receptive_field, receptive_field_chain

__all__ = [
    "Activation",
    "ClassicMatch",
    "LayerInformation",
    "LayerSummary",
    "MlpCnnComparison",
    "ModelSummary",
    "ReceptiveField",
    "activations",
    "classic_bank",
    "compare_mlp_cnn",
    "entropy",
    "equivariance_error",
    "flops",
    "information_per_layer",
    "invariance_error",
    "mutual_information",
    "nearest_classic",
    "param_count",
    "receptive_field",
    "receptive_field_chain",
    "summary",
]
