"""A BERT encoder written as an ONNX graph straight from its weights file, without PyTorch.

The graph is the one ``torch.onnx.export`` makes of Hugging Face's ``BertModel`` with eager attention
(opset 17): the same operations in the same order, and the same names for the matrix
multiplications (the int8 smoothing is keyed by them), so ONNX Runtime gives the same numbers. Only
the shape arithmetic is simpler. Made this way, the export holds one weight at a time and never
the token embeddings (most of the model's bytes), which go from the weights file to their own file
in slices: the embedded model's one-time set-up fits in 1 GiB (``docs/pages/model.md``).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"
WORD_EMBEDDINGS = "model.embeddings.word_embeddings.weight"
_BYTES_AT_ONCE = 1 << 24  # of the token embeddings, copied at a time


def is_bert(model_dir: Path) -> bool:
    """Whether the transformer of the sentence-transformers folder ``model_dir`` is a plain BERT."""
    if not (model_dir / "config.json").exists():
        return False
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    return config.get("model_type") == "bert" and config.get("position_embedding_type", "absolute") == "absolute"


def write_bert_graph(
    model_dir: Path, graph_file: Path, embeddings_file: Path, overrides: dict[str, np.ndarray] | None = None
) -> None:
    """Write the ONNX graph of ``model_dir``'s BERT (``config.json`` and ``model.safetensors``) to
    ``graph_file``, its token embeddings to ``embeddings_file`` (float32 rows, referenced by the
    graph as external data; a file there already, from the same weights, is used as it is).
    ``overrides``: weights, by their name in the weights file, to use instead of the file's (the
    reader's fine-tuned layers)."""
    overrides = overrides or {}
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors import safe_open

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    eps = float(np.float32(config["layer_norm_eps"]))
    nodes: list = []
    initializers: list = []

    def constant(name: str, value) -> str:
        nodes.append(
            helper.make_node("Constant", [], [name], name=name, value=numpy_helper.from_array(np.array(value)))
        )
        return name

    def node(op: str, name: str, inputs: list[str], **attributes) -> str:
        nodes.append(helper.make_node(op, inputs, [f"{name}_output_0"], name=name, **attributes))
        return f"{name}_output_0"

    with safe_open(str(model_dir / "model.safetensors"), framework="np") as weights:

        def weight(name: str, transposed: bool = False) -> str:
            array = overrides[name].astype(np.float32) if name in overrides else weights.get_tensor(name)
            initializers.append(
                numpy_helper.from_array(np.ascontiguousarray(array.T if transposed else array), f"model.{name}")
            )
            return f"model.{name}"

        def layer_norm(prefix: str, name: str, x: str) -> str:
            return node(
                "LayerNormalization",
                name,
                [x, weight(f"{prefix}.weight"), weight(f"{prefix}.bias")],
                axis=-1,
                epsilon=eps,
            )

        def dense(prefix: str, name: str, x: str) -> str:  # x·Wᵀ, then the bias added (as torch exports it)
            product = node("MatMul", f"{name}/MatMul", [x, weight(f"{prefix}.weight", transposed=True)])
            return node("Add", f"{name}/Add", [weight(f"{prefix}.bias"), product])

        # Embeddings: words + token types, + positions 0..tokens-1, normalised.
        if embeddings_file.exists():
            rows = weights.get_slice("embeddings.word_embeddings.weight").get_shape()[0]
        else:
            rows, _ = _copy_tensor(
                model_dir / "model.safetensors", "embeddings.word_embeddings.weight", embeddings_file
            )
        table = TensorProto(
            name=WORD_EMBEDDINGS, data_type=TensorProto.FLOAT, dims=[rows, hidden], data_location=TensorProto.EXTERNAL
        )
        for key, value in (("location", embeddings_file.name), ("offset", "0"), ("length", str(rows * hidden * 4))):
            table.external_data.add(key=key, value=value)
        initializers.append(table)
        e = "/model/embeddings"
        words = node("Gather", f"{e}/word_embeddings/Gather", [WORD_EMBEDDINGS, "input_ids"])
        types = node(
            "Gather",
            f"{e}/token_type_embeddings/Gather",
            [weight("embeddings.token_type_embeddings.weight"), "token_type_ids"],
        )
        tokens = node(
            "Gather", f"{e}/Gather", [node("Shape", f"{e}/Shape", ["input_ids"]), constant(f"{e}/one", 1)], axis=0
        )
        positions_table = constant(f"{e}/position_ids", np.arange(config["max_position_embeddings"])[None, :])
        positions = node(
            "Slice",
            f"{e}/Slice",
            [
                positions_table,
                constant(f"{e}/zero", np.array([0])),
                node("Unsqueeze", f"{e}/Unsqueeze", [tokens, constant(f"{e}/axis0", np.array([0]))]),
                constant(f"{e}/axis1", np.array([1])),
            ],
        )
        summed = node("Add", f"{e}/Add", [words, types])
        summed = node(
            "Add",
            f"{e}/Add_1",
            [
                summed,
                node(
                    "Gather",
                    f"{e}/position_embeddings/Gather",
                    [weight("embeddings.position_embeddings.weight"), positions],
                ),
            ],
        )
        x = layer_norm("embeddings.LayerNorm", f"{e}/LayerNorm/LayerNormalization", summed)

        # The additive attention mask: 0 where a token may be attended to, float32's lowest where not.
        keep = node(
            "Cast",
            "/model/Cast",
            [node("Unsqueeze", "/model/Unsqueeze", ["attention_mask", constant("/model/mask_axes", np.array([1, 2]))])],
            to=TensorProto.BOOL,
        )
        mask = node(
            "Where",
            "/model/Where_1",
            [
                keep,
                constant("/model/Constant_28", np.float32(0)),
                constant("/model/Constant_29", np.finfo(np.float32).min),
            ],
        )

        split = constant("/model/heads_shape", np.array([0, 0, heads, hidden // heads]))
        merged = constant("/model/hidden_shape", np.array([0, 0, hidden]))
        scale = constant("/model/scale", np.float32(1 / np.sqrt(hidden // heads)))
        for number in range(config["num_hidden_layers"]):
            ours, theirs = f"/model/encoder/layer.{number}", f"encoder.layer.{number}"
            a = f"{ours}/attention/self"
            query = node(
                "Transpose",
                f"{a}/Transpose",
                [node("Reshape", f"{a}/Reshape", [dense(f"{theirs}.attention.self.query", f"{a}/query", x), split])],
                perm=[0, 2, 1, 3],
            )
            key = node(
                "Transpose",
                f"{a}/Transpose_2",
                [node("Reshape", f"{a}/Reshape_1", [dense(f"{theirs}.attention.self.key", f"{a}/key", x), split])],
                perm=[0, 2, 3, 1],
            )
            value = node(
                "Transpose",
                f"{a}/Transpose_1",
                [node("Reshape", f"{a}/Reshape_2", [dense(f"{theirs}.attention.self.value", f"{a}/value", x), split])],
                perm=[0, 2, 1, 3],
            )
            scores = node("Mul", f"{a}/Mul", [node("MatMul", f"{a}/MatMul", [query, key]), scale])
            attention = node("Softmax", f"{a}/Softmax", [node("Add", f"{a}/Add", [scores, mask])], axis=-1)
            context = node(
                "Transpose",
                f"{a}/Transpose_3",
                [node("MatMul", f"{a}/MatMul_1", [attention, value])],
                perm=[0, 2, 1, 3],
            )
            context = node("Reshape", f"{a}/Reshape_3", [context, merged])
            o = f"{ours}/attention/output"
            attended = dense(f"{theirs}.attention.output.dense", f"{o}/dense", context)
            x = layer_norm(
                f"{theirs}.attention.output.LayerNorm",
                f"{o}/LayerNorm/LayerNormalization",
                node("Add", f"{o}/Add", [attended, x]),
            )
            # The feed-forward block, with the exact (erf) GELU: x · (erf(x / √2) + 1) · 0.5.
            i = f"{ours}/intermediate"
            inner = dense(f"{theirs}.intermediate.dense", f"{i}/dense", x)
            g = f"{i}/intermediate_act_fn"
            erf = node(
                "Erf", f"{g}/Erf", [node("Div", f"{g}/Div", [inner, constant(f"{g}/Constant", np.float32(np.sqrt(2)))])]
            )
            gelu = node(
                "Mul",
                f"{g}/Mul_1",
                [
                    node(
                        "Mul",
                        f"{g}/Mul",
                        [inner, node("Add", f"{g}/Add", [erf, constant(f"{g}/Constant_1", np.float32(1))])],
                    ),
                    constant(f"{g}/Constant_2", np.float32(0.5)),
                ],
            )
            out = dense(f"{theirs}.output.dense", f"{ours}/output/dense", gelu)
            x = layer_norm(
                f"{theirs}.output.LayerNorm",
                f"{ours}/output/LayerNorm/LayerNormalization",
                node("Add", f"{ours}/output/Add", [out, x]),
            )
    nodes.append(helper.make_node("Identity", [x], [OUTPUT], name="/model/output"))

    dynamic = ["batch", "tokens"]
    graph = helper.make_graph(
        nodes,
        "main_graph",
        [helper.make_tensor_value_info(name, TensorProto.INT64, dynamic) for name in INPUTS],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [*dynamic, hidden])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tanya")
    model.ir_version = 8
    onnx.save(model, str(graph_file))
    onnx.checker.check_model(str(graph_file))  # by path: the table outside is found beside it


def _copy_tensor(weights_file: Path, name: str, target: Path) -> list[int]:
    """Copy the float32 tensor ``name`` of a safetensors file to ``target`` (its bytes, little-endian
    rows) with plain reads, a slice at a time: mapped into memory, as the library reads, the whole
    table would count in the process's resident memory. Returns its shape."""
    with weights_file.open("rb") as source:
        (length,) = struct.unpack("<Q", source.read(8))
        entry = json.loads(source.read(length))[name]
        if entry["dtype"] != "F32":
            raise ValueError(f"{weights_file}: {name} is {entry['dtype']}, not float32")
        begin, end = entry["data_offsets"]
        source.seek(8 + length + begin)
        with target.open("wb") as out:
            for _ in range(begin, end, _BYTES_AT_ONCE):
                out.write(source.read(min(_BYTES_AT_ONCE, end - source.tell() + 8 + length)))
    return entry["shape"]
