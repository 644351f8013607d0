"""The ONNX project's own operator test cases (the node tests of the installed ``onnx``
package, through its public test-case API), read with :func:`convolab.nn.from_onnx` and
run on convolab: a per-operator table of passed / failed / cannot express.

A case's weights arrive as graph inputs; they are made constants (initializers) first, so
that the graph is the one-input chain ``from_onnx`` reads. Second outputs (``MaxPool``'s
indices, ``Dropout``'s mask) are computed with the functional ops convolab offers for them
(``return_indices``, ``return_mask``) from the same layer, and a training-mode
``BatchNormalization``'s running mean and variance are the layer's after its call.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnx.backend.test.case.node")

from convolab import nn  # noqa: E402
from convolab.nn import functional as F  # noqa: E402

OPS = (
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool",
    "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "Gelu",
    "Softplus", "HardSigmoid", "HardSwish", "PRelu", "Softmax", "LogSoftmax", "Gemm", "MatMul",
    "Flatten", "Dropout",
)  # fmt: skip

#: Cases whose expected output convolab cannot reproduce, and why. Only ONNX's own random
#: generator belongs here: a training-mode Dropout mask drawn by ``np.random``.
EXPECTED_UNEXPRESSIBLE = {
    "test_training_dropout": "a random mask from ONNX's generator",
    "test_training_dropout_default": "a random mask from ONNX's generator",
    "test_training_dropout_default_mask": "a random mask from ONNX's generator",
    "test_training_dropout_mask": "a random mask from ONNX's generator",
}



@functools.lru_cache(maxsize=1)
def node_cases() -> list:
    from onnx.backend.test.case import node

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node.collect_testcases()
    chosen = []
    for case in cases:
        ops = [n.op_type for n in case.model.graph.node] if case.model is not None else []
        if len(ops) == 1 and ops[0] in OPS and case.data_sets:
            chosen.append((ops[0], case))
    return sorted(chosen, key=lambda c: (c[0], c[1].name))


def _as_chain(case) -> tuple:
    """The case's model with every input but the first made a constant, one output kept."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    graph = model.graph
    inputs, outputs = case.data_sets[0]
    names = [i.name for i in graph.input]
    for name, value in zip(names[1:], inputs[1:]):
        graph.initializer.append(onnx.numpy_helper.from_array(np.asarray(value), name))
    keep = graph.input[0]
    del graph.input[:]
    graph.input.append(keep)
    first = graph.output[0]
    del graph.output[:]
    graph.output.append(first)
    return model, inputs, outputs


def _extra_outputs(op: str, layer, node, x: np.ndarray) -> list[np.ndarray]:
    """The node's other outputs, from convolab's ops for them (the layer has run on ``x``)."""
    if op == "Dropout":
        return [F.dropout(x, training=False, return_mask=True)[1]]
    if op == "BatchNormalization":  # training mode: the running statistics, moved by the batch
        (norm,) = layer
        assert norm.training and not layer.training
        return [norm.running_mean, norm.running_var]
    pool = layer[0] if len(layer) else layer
    m = x.ndim - 2
    fn = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[m - 1]
    _, idx = fn(x, pool.kernel_size, pool.stride, pool.padding, pool.dilation, pool.ceil_mode,
                return_indices=True)  # fmt: skip
    idx = idx.data
    order = [a for a in node.attribute if a.name == "storage_order"]
    if order and order[0].i == 1:  # column-major: the index of (h, w) is w H + h
        rows, cols = np.unravel_index(idx, x.shape[2:])
        idx = cols * x.shape[2] + rows
    plane = int(np.prod(x.shape[2:]))
    offsets = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[:2] + (1,) * m) * plane
    return [idx + offsets]  # ONNX's indices count from the tensor's start


def run_case(op: str, case) -> tuple[str, str]:
    model, inputs, outputs = _as_chain(case)
    try:
        layer = nn.from_onnx(model)
    except ValueError as exc:
        return "cannot express", str(exc)
    x = inputs[0]
    results = [np.asarray(layer(x).data)]
    if len(outputs) > 1:
        results += _extra_outputs(op, layer, model.graph.node[0], x)
    rtol, atol = max(case.rtol, 1e-6), max(case.atol, 1e-7)
    for i, (got, want) in enumerate(zip(results, outputs)):
        got = got.astype(want.dtype)  # e.g. bfloat16: ONNX rounds its result so
        if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=atol):
            return "failed", f"output {i}: {got.shape} vs {want.shape}"
    return "passed", ""


def test_onnx_node_cases_table(capsys):
    rows: dict[str, Counter] = {}
    unexpressible, failed = {}, {}
    for op, case in node_cases():
        status, why = run_case(op, case)
        rows.setdefault(op, Counter())[status] += 1
        if status == "cannot express":
            unexpressible[case.name] = why
        elif status == "failed":
            failed[case.name] = why
    with capsys.disabled():
        print("\nONNX node cases read by convolab.nn.from_onnx")
        print(f"{'operator':<20}{'passed':>8}{'failed':>8}{'cannot express':>16}")
        for op in OPS:
            c = rows.get(op, Counter())
            print(f"{op:<20}{c['passed']:>8}{c['failed']:>8}{c['cannot express']:>16}")
        total = sum(rows.values(), Counter())
        print(f"{'total':<20}{total['passed']:>8}{total['failed']:>8}"
              f"{total['cannot express']:>16}")  # fmt: skip
        for name, why in sorted({**failed, **unexpressible}.items()):
            print(f"  {name}: {why}")
    assert not failed, failed
    assert set(unexpressible) == set(EXPECTED_UNEXPRESSIBLE), sorted(unexpressible)
    assert sum(rows.values(), Counter())["passed"] > 100  # the cases were found and run
