"""Ready-made models: LeNet-5 (classic and modern), the articles' 1D detector, a 1D CNN, an MLP.

Every model is an :class:`convolab.nn.Sequential` of the standard layers, so a
saved model file (:func:`convolab.nn.save`) rebuilds without any code from this
module, and its weights carry PyTorch's parameter names (``0.weight``, ...).
Every model records the shape of one input, without the batch axis, as
``model.input_shape``; :func:`convolab.nn.save` keeps it in the file, so
:func:`convolab.analysis.summary` and ``convolab inspect`` need no shape.

>>> lenet5().input_shape, build("cnn1d", (1, 40)).input_shape
((1, 28, 28), (1, 40))
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from convolab import nn

__all__ = ["DEFAULT_LR", "MODEL_NAMES", "build", "cnn1d", "detector1d", "lenet5", "mlp"]

MODEL_NAMES: tuple[str, ...] = (
    "lenet5",
    "lenet5-bn",
    "lenet5-classic",
    "detector1d",
    "cnn1d",
    "mlp",
)
# Adam learning rates that train each model well (see benchmarks/RESULTS.md).
DEFAULT_LR: dict[str, float] = {
    "lenet5": 1e-3,
    "lenet5-bn": 1e-3,
    "lenet5-classic": 1e-3,
    "detector1d": 5e-2,
    "cnn1d": 1e-2,
    "mlp": 1e-3,
}


def _seeded(seed: int | None) -> None:
    if seed is not None:
        nn.init.manual_seed(int(seed))


def _described(model: nn.Sequential, input_shape: Sequence[int]) -> nn.Sequential:
    """``model`` with the shape of one input (no batch axis) recorded as ``input_shape``."""
    model.input_shape = tuple(int(n) for n in input_shape)
    return model


def _check_int(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}")
    return value


def lenet5(
    variant: str = "modern",
    num_classes: int = 10,
    in_channels: int = 1,
    seed: int | None = 0,
    *,
    batch_norm: bool = False,
    standardize: tuple[float | Sequence[float], float | Sequence[float]] | None = None,
) -> nn.Sequential:
    """LeNet-5 for 28x28 inputs (LeCun et al. 1998).

    ``classic``: the 28x28 image padded to LeNet's 32x32 (``padding=2`` in C1),
    C1 6@5x5 -> tanh -> S2 2x2 average pool -> C3 16@5x5 -> tanh -> S4 average
    pool -> C5 120@5x5 (a convolution that sees the whole 5x5 map) -> tanh ->
    F6 84 -> tanh -> 10 outputs (logits). The 1998 paper's partial C3 connection
    table, trainable subsampling coefficients and RBF output layer are replaced by
    full connections, plain pooling and a softmax, as usual today.

    ``modern``: the same shapes with ReLU and max-pooling.

    ``batch_norm=True`` adds a batch normalization (Ioffe and Szegedy 2015) after
    C1, C3, C5 and F6, before their activations: each feature is normalized with
    its batch statistics, ``y = gamma (x - mean) / sqrt(var + eps) + beta``.
    On Fashion-MNIST (10 epochs, batch 128, Adam 1e-3) the modern variant stops
    near 89% test accuracy; with batch norm, standardized inputs and label smoothing
    0.1 (:func:`convolab.train.smoothed_loss`) it reaches 90.5-91%
    (``benchmarks/RESULTS.md``).

    Parameters
    ----------
    variant : {'modern', 'classic'}
        Which activation/pooling pair.
    num_classes : int
        Output size.
    in_channels : int
        Input channels.
    seed : int or None
        Seed of the initial weights (``None``: continue the default generator).
    batch_norm : bool
        Batch normalization after every hidden layer (C1, C3, C5, F6).
    standardize : (mean, std), optional
        Standardize the inputs inside the model first (:class:`convolab.nn.Standardize`,
        usually with the training data's mean and std), as LeCun et al. normalized
        theirs; the model still takes raw inputs. Its layers then start at index 1.

    Returns
    -------
    convolab.nn.Sequential
        Takes ``(N, in_channels, 28, 28)``, returns logits ``(N, num_classes)``.

    Notes
    -----
    Shape: 28 -> C1 (pad 2) 28 -> S2 14 -> C3 10 -> S4 5 -> C5 1, with
    ``out = (n + 2p - k) / s + 1`` at each layer. 61,706 parameters for 10 classes.

    Examples
    --------
    >>> import numpy as np
    >>> m = lenet5()
    >>> m(np.zeros((2, 1, 28, 28), np.float32)).shape
    (2, 10)
    >>> sum(p.size for p in m.parameters())
    61706
    >>> lenet5(batch_norm=True)[1]
    BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    """
    if variant not in ("modern", "classic"):
        raise ValueError(f"`variant` must be one of 'modern', 'classic'; got {variant!r}")
    _check_int("num_classes", num_classes, 2)
    _check_int("in_channels", in_channels)
    _seeded(seed)
    act = nn.ReLU if variant == "modern" else nn.Tanh
    pool = nn.MaxPool2d if variant == "modern" else nn.AvgPool2d

    def norm(features: int, kind: type[nn.Module] = nn.BatchNorm2d) -> list[nn.Module]:
        return [kind(features)] if batch_norm else []

    first = [] if standardize is None else [nn.Standardize(*standardize)]
    model = nn.Sequential(
        *first,
        nn.Conv2d(in_channels, 6, 5, padding=2),
        *norm(6),
        act(),
        pool(2),
        nn.Conv2d(6, 16, 5),
        *norm(16),
        act(),
        pool(2),
        nn.Conv2d(16, 120, 5),
        *norm(120),
        act(),
        nn.Flatten(),
        nn.Linear(120, 84),
        *norm(84, nn.BatchNorm1d),
        act(),
        nn.Linear(84, num_classes),
    )
    return _described(model, (in_channels, 28, 28))


def detector1d(kernel_size: int = 24, length: int = 128, seed: int | None = 0) -> nn.Sequential:
    """The articles' single-layer shape detector: ``sigmoid(max_t (K * x)(t) + beta)``.

    One learned kernel ``K`` slides along the signal (a ``Conv1d`` with one
    output channel, whose bias is the articles' ``beta``: adding it before or
    after the maximum is the same), the maximum over time is a max-pool over the
    whole output, and the single logit goes through a sigmoid in the loss
    (:func:`convolab.nn.functional.binary_cross_entropy_with_logits`) and in
    :func:`convolab.train.predict`.

    Parameters
    ----------
    kernel_size : int
        Length of the learned shape ``K``.
    length : int
        Length of the input signals (the max-pool covers ``length - kernel_size + 1``).
    seed : int or None
        Seed of the initial kernel.

    Returns
    -------
    convolab.nn.Sequential
        Takes ``(N, 1, length)``, returns one logit per signal, ``(N, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> detector1d(8, length=32)(np.zeros((3, 1, 32), np.float32)).shape
    (3, 1)
    """
    _check_int("kernel_size", kernel_size)
    _check_int("length", length, kernel_size)
    _seeded(seed)
    model = nn.Sequential(
        nn.Conv1d(1, 1, kernel_size),
        nn.MaxPool1d(length - kernel_size + 1),
        nn.Flatten(),
    )
    return _described(model, (1, length))


def cnn1d(
    channels: int = 25, num_classes: int = 10, length: int = 40, seed: int | None = 0
) -> nn.Sequential:
    """The convolutional network of the MNIST-1D paper (Greydanus 2020).

    Conv1d(1, c, 5, stride 2, pad 1) -> ReLU -> Conv1d(c, c, 3, stride 2, pad 1) ->
    ReLU -> Conv1d(c, c, 3, stride 2, pad 1) -> ReLU -> Linear(c * L3, classes).

    Parameters
    ----------
    channels : int
        Channels of the three convolutions (the paper: 25).
    num_classes : int
        Output size.
    length : int
        Input length (MNIST-1D: 40).
    seed : int or None
        Seed of the initial weights.

    Notes
    -----
    Shape: ``L1 = (L + 2 - 5) // 2 + 1``, ``L2 = (L1 + 2 - 3) // 2 + 1``,
    ``L3 = (L2 + 2 - 3) // 2 + 1``: 40 -> 19 -> 10 -> 5.

    Examples
    --------
    >>> import numpy as np
    >>> cnn1d()(np.zeros((4, 1, 40), np.float32)).shape
    (4, 10)
    """
    _check_int("channels", channels)
    _check_int("num_classes", num_classes, 2)
    n = _check_int("length", length, 5)
    for k in (5, 3, 3):
        n = (n + 2 - k) // 2 + 1
    _seeded(seed)
    model = nn.Sequential(
        nn.Conv1d(1, channels, 5, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv1d(channels, channels, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv1d(channels, channels, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(channels * n, num_classes),
    )
    return _described(model, (1, length))


def mlp(
    in_features: int = 784,
    hidden: Sequence[int] = (256, 128),
    num_classes: int = 10,
    seed: int | None = 0,
) -> nn.Sequential:
    """A fully connected network (for comparison with the CNNs): Flatten, then Linear + ReLU.

    Examples
    --------
    >>> import numpy as np
    >>> m = mlp(in_features=40, hidden=[16])
    >>> m(np.zeros((2, 1, 40), np.float32)).shape
    (2, 10)
    >>> sum(p.size for p in m.parameters()) == 40 * 16 + 16 + 16 * 10 + 10
    True
    """
    _check_int("in_features", in_features)
    _check_int("num_classes", num_classes, 2)
    widths = [_check_int("hidden", h) for h in hidden]
    _seeded(seed)
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip([in_features, *widths[:-1]], widths):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(widths[-1] if widths else in_features, num_classes))
    return _described(nn.Sequential(*layers), (in_features,))


def build(name: str, input_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10,
          seed: int | None = 0, *,
          standardize: tuple[float, float] | None = None) -> nn.Sequential:  # fmt: skip
    """Build a model by name for inputs of one sample's shape.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES` (``lenet5`` is the modern variant, ``lenet5-bn`` the
        modern variant with batch normalization).
    input_shape : sequence of int
        Shape of one input, ``(C, H, W)`` for images or ``(C, L)`` for signals.
    num_classes : int
        Number of classes (``detector1d`` always has one logit).
    seed : int or None
        Seed of the initial weights.
    standardize : (mean, std), optional
        Put a :class:`convolab.nn.Standardize` layer of these constants first.

    Examples
    --------
    >>> build("cnn1d", (1, 40))[0]
    Conv1d(1, 25, kernel_size=(5,), stride=(2,), padding=(1,))
    >>> build("resnet")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown model 'resnet'; expected one of 'lenet5', 'lenet5-bn', ...
    """
    shape = tuple(int(s) for s in input_shape)
    if name not in MODEL_NAMES:
        valid = ", ".join(repr(m) for m in MODEL_NAMES)
        raise ValueError(f"unknown model {name!r}; expected one of {valid}")
    image = len(shape) == 3
    if name.startswith("lenet5"):
        if not image or shape[1:] != (28, 28):
            raise ValueError(f"model {name!r} needs (C, 28, 28) inputs; the data has {shape}")
        variant = "classic" if name == "lenet5-classic" else "modern"
        return lenet5(variant, num_classes, in_channels=shape[0], seed=seed,
                      batch_norm=name == "lenet5-bn", standardize=standardize)  # fmt: skip
    if name in ("detector1d", "cnn1d"):
        if len(shape) != 2 or shape[0] != 1:
            raise ValueError(f"model {name!r} needs (1, L) signals; the data has {shape}")
        if name == "detector1d":
            model = detector1d(length=shape[1], seed=seed)
        else:
            model = cnn1d(num_classes=num_classes, length=shape[1], seed=seed)
    else:
        model = mlp(in_features=prod(shape), num_classes=num_classes, seed=seed)
    if standardize is not None:
        model = nn.Sequential(nn.Standardize(*standardize), *model)
    return _described(model, shape)
