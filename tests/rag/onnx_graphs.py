"""Small ONNX encoder graphs built in the tests (no model can be downloaded here).

:func:`bert_graph` writes a BERT encoder (embeddings, self-attention, GELU feed-forward,
post-layer norms) as an ONNX graph with the ``onnx`` package's helper API, from weights in
the safetensors naming of sentence-transformers models, so the onnxruntime embedder can be
compared with the numpy one on the same weights. ``token_type_ids`` False gives the input
signature of XLM-RoBERTa exports (multilingual-e5, paraphrase-multilingual-MiniLM).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def bert_graph(
    weights: dict[str, np.ndarray],
    *,
    layers: int,
    heads: int,
    eps: float,
    path: Path,
    token_type_ids: bool = True,
) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = {
        name.removeprefix("bert."): value.astype(np.float32) for name, value in weights.items()
    }
    hidden = weights["embeddings.word_embeddings.weight"].shape[1]
    head_dim = hidden // heads
    nodes, inits = [], []
    counter = iter(range(10**6))

    def const(value, name=None) -> str:
        name = name or f"c{next(counter)}"
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op, inputs, **attrs) -> str:
        out = f"t{next(counter)}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def linear(x, prefix) -> str:
        weight = const(np.ascontiguousarray(weights[prefix + ".weight"].T))
        return node("Add", [node("MatMul", [x, weight]), const(weights[prefix + ".bias"])])

    def layer_norm(x, prefix) -> str:
        return node(
            "LayerNormalization",
            [x, const(weights[prefix + ".weight"]), const(weights[prefix + ".bias"])],
            axis=-1,
            epsilon=eps,
        )

    word = node("Gather", [const(weights["embeddings.word_embeddings.weight"]), "input_ids"])
    length = node("Gather", [node("Shape", ["input_ids"]), const(np.int64(1))], axis=0)
    positions = node("Range", [const(np.int64(0)), length, const(np.int64(1))])
    position = node("Gather", [const(weights["embeddings.position_embeddings.weight"]), positions])
    x = node("Add", [word, position])
    types = weights["embeddings.token_type_embeddings.weight"]
    if token_type_ids:
        x = node("Add", [x, node("Gather", [const(types), "token_type_ids"])])
    else:
        x = node("Add", [x, const(types[0])])
    x = layer_norm(x, "embeddings.LayerNorm")
    mask = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = node("Mul", [node("Sub", [const(np.float32(1.0)), mask]), const(np.float32(-1e9))])
    bias = node("Unsqueeze", [bias, const(np.array([1, 2], dtype=np.int64))])
    split_heads = const(np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge_heads = const(np.array([0, 0, hidden], dtype=np.int64))
    for number in range(layers):
        p = f"encoder.layer.{number}."
        q = node(
            "Transpose",
            [node("Reshape", [linear(x, p + "attention.self.query"), split_heads])],
            perm=[0, 2, 1, 3],
        )
        k = node(
            "Transpose",
            [node("Reshape", [linear(x, p + "attention.self.key"), split_heads])],
            perm=[0, 2, 3, 1],
        )
        v = node(
            "Transpose",
            [node("Reshape", [linear(x, p + "attention.self.value"), split_heads])],
            perm=[0, 2, 1, 3],
        )
        scores = node(
            "Add",
            [
                node("Mul", [node("MatMul", [q, k]), const(np.float32(1 / math.sqrt(head_dim)))]),
                bias,
            ],
        )
        context = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        context = node("Reshape", [node("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])
        x = layer_norm(
            node("Add", [x, linear(context, p + "attention.output.dense")]),
            p + "attention.output.LayerNorm",
        )
        inner = linear(x, p + "intermediate.dense")
        erf = node("Erf", [node("Div", [inner, const(np.float32(math.sqrt(2.0)))])])
        gelu = node(
            "Mul",
            [
                node("Mul", [inner, const(np.float32(0.5))]),
                node("Add", [erf, const(np.float32(1.0))]),
            ],
        )
        x = layer_norm(node("Add", [x, linear(gelu, p + "output.dense")]), p + "output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
        for name in (
            ["input_ids", "attention_mask"] + (["token_type_ids"] if token_type_ids else [])
        )
    ]
    output = helper.make_tensor_value_info(
        "last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden]
    )
    graph = helper.make_graph(nodes, "encoder", inputs, [output], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def random_bert_weights(
    vocab: int, hidden: int, layers: int, intermediate: int, positions: int, seed: int = 0
) -> dict[str, np.ndarray]:
    """Random weights of a small encoder in the safetensors naming."""
    rng = np.random.default_rng(seed)

    def w(*shape):
        return (rng.standard_normal(shape) * 0.05).astype(np.float32)

    weights = {
        "embeddings.word_embeddings.weight": w(vocab, hidden),
        "embeddings.position_embeddings.weight": w(positions, hidden),
        "embeddings.token_type_embeddings.weight": w(1, hidden),
        "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32),
    }
    for number in range(layers):
        p = f"encoder.layer.{number}."
        for name in (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
        ):
            weights[p + name + ".weight"], weights[p + name + ".bias"] = (
                w(hidden, hidden),
                w(hidden),
            )
        weights[p + "intermediate.dense.weight"] = w(intermediate, hidden)
        weights[p + "intermediate.dense.bias"] = w(intermediate)
        weights[p + "output.dense.weight"] = w(hidden, intermediate)
        weights[p + "output.dense.bias"] = w(hidden)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            weights[p + name + ".weight"] = np.ones(hidden, np.float32)
            weights[p + name + ".bias"] = np.zeros(hidden, np.float32)
    return weights
