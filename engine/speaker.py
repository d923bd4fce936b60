"""GE2E speaker encoder (Resemblyzer's weights), run by our own numpy code.

resemblyzer ships ``pretrained.pt`` (Apache-2.0): a 3-layer LSTM (256 units)
over 40-band mel power spectra at 16 kHz (25 ms window, 10 ms hop), a linear
layer and ReLU, L2-normalised.  An utterance's embedding is the normalised
mean over 1.6 s partial windows (1.3 partials per second).  Dubline ships the
model's tensors as ``resources/models/ge2e/ge2e_encoder.npz`` (with the
licence and a NOTICE of the conversion), so neither resemblyzer nor torch is
installed; ``load_weights`` also reads the original file's legacy torch
serialisation (the tests check the two agree where resemblyzer is present).
The network runs in numpy; the mel filterbank is librosa's (Slaney) rebuilt
in numpy.  Embeddings are cached by the SHA-256 of the decoded audio.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import struct
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from engine.errors import ModelError, RequestError

SR = 16000
N_FFT = 400
HOP = 160
N_MELS = 40
PARTIAL = 160
_lock = threading.Lock()
_state: dict = {}


# ---------------------------------------------------------------- weights
class _Storage:
    def __init__(self, key: str, dtype):
        self.key, self.dtype, self.data = key, dtype, None


def _rebuild(storage, offset, size, stride, *args):
    return ("tensor", storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64,
              "IntStorage": np.int32, "HalfStorage": np.float16}

    def __init__(self, f, storages):
        super().__init__(f)
        self.storages = storages

    def find_class(self, module, name):
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch" and name in self.DTYPES:
            return name
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the speaker encoder weights")

    def persistent_load(self, pid):
        _kind, stype, key, _loc, _numel = pid[:5]
        if key not in self.storages:
            self.storages[key] = _Storage(key, self.DTYPES[stype])
        return self.storages[key]


WEIGHTS = ("models", "ge2e", "ge2e_encoder.npz")  # in the shipped data (engine.resources)


def _weights_path() -> Path:
    from engine import resources

    return resources.path(*WEIGHTS)  # ModelError naming the file when it is not shipped


def resemblyzer_weights_path() -> Path | None:
    """resemblyzer's own ``pretrained.pt`` when that package is installed (tests, verification), else None."""
    import importlib.util

    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"
    return p if p.is_file() else None


def load_weights(path: Path | None = None) -> dict[str, np.ndarray]:
    """The encoder's tensors as float32 arrays: from Dubline's ``.npz`` or a legacy-format torch file."""
    path = path or _weights_path()
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return {name: np.asarray(z[name], dtype=np.float32) for name in z.files}
    raw = path.read_bytes()
    f = io.BytesIO(raw)
    for _ in range(3):  # magic number, protocol version, system info
        pickle.load(f)
    storages: dict[str, _Storage] = {}
    obj = _Unpickler(f, storages).load()
    keys = pickle.load(f)
    for key in keys:
        (n,) = struct.unpack("<q", f.read(8))
        st = storages[key]
        st.data = np.frombuffer(f.read(n * np.dtype(st.dtype).itemsize), dtype=st.dtype)
    state = obj.get("model_state", obj) if isinstance(obj, dict) else obj
    out = {}
    for name, t in state.items():
        _tag, st, offset, size, stride = t
        itemsize = st.data.itemsize
        arr = np.lib.stride_tricks.as_strided(st.data[offset:], shape=size,
                                              strides=tuple(s * itemsize for s in stride))
        out[name] = np.array(arr, dtype=np.float32)
    return out


def _model() -> dict:
    m = _state.get("w")
    if m is None:
        with _lock:
            m = _state.get("w")
            if m is None:
                try:
                    m = load_weights()
                except (OSError, pickle.UnpicklingError, KeyError, ValueError, struct.error, EOFError) as e:
                    raise ModelError(f"the speaker encoder weights cannot be read ({e})") from e
                _state["w"] = m
    return m


# ---------------------------------------------------------------- features
def _hz_to_mel(f):
    f = np.asarray(f, np.float64)
    lin = f / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log, lin)


def _mel_to_hz(m):
    m = np.asarray(m, np.float64)
    lin = m * (200.0 / 3)
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
    return np.where(m >= 15.0, log, lin)


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40) (Slaney scale and area norm)."""
    fft_f = np.linspace(0, SR / 2, N_FFT // 2 + 1)
    hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SR / 2), N_MELS + 2))
    fdiff = np.diff(hz)
    ramps = hz[:, None] - fft_f[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0, np.minimum(lower, upper))
    w *= (2.0 / (hz[2:] - hz[:-2]))[:, None]
    return w.astype(np.float32)


def mel_power(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram, as resemblyzer computes it (centred, reflect-padded)."""
    x = np.pad(wav.astype(np.float32), N_FFT // 2, mode="reflect")
    n = 1 + (len(x) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP][:n]
    win = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann
    spec = np.abs(np.fft.rfft(frames * win, axis=1)) ** 2
    return (spec @ mel_filters().T).astype(np.float32)


def preprocess(wav: np.ndarray, sr: int) -> np.ndarray:
    """Mono float at 16 kHz, normalised to -30 dBFS, long silences removed (energy VAD)."""
    x = np.asarray(wav, np.float32)
    if x.ndim > 1:
        x = x.mean(axis=1)
    if sr != SR:
        import soxr

        x = soxr.resample(x, sr, SR).astype(np.float32)
    win = 480  # 30 ms
    n = len(x) // win
    if n == 0:
        return x
    e = 10 * np.log10(np.mean(x[: n * win].reshape(n, win).astype(np.float64) ** 2, axis=1) + 1e-12)
    voiced = e > max(e.max() - 40, -70)
    # keep up to 6 silent windows between speech, as resemblyzer's VAD does
    keep = np.convolve(voiced.astype(float), np.ones(7), mode="same") > 0
    x = x[: n * win].reshape(n, win)[keep].reshape(-1)
    rms = np.sqrt(np.mean(x.astype(np.float64) ** 2)) if len(x) else 0.0
    if rms > 0:
        x = x * np.float32(10 ** (-30 / 20) / rms)
    return x


# ---------------------------------------------------------------- network
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _forward(mels: np.ndarray) -> np.ndarray:
    """(batch, 160, 40) -> (batch, 256) L2-normalised embeddings."""
    w = _model()
    h_in = mels.astype(np.float32)
    b = h_in.shape[0]
    H = 256
    for layer in range(3):
        wi, wh = w[f"lstm.weight_ih_l{layer}"], w[f"lstm.weight_hh_l{layer}"]
        bias = w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"]
        xs = h_in @ wi.T + bias  # (b, T, 4H)
        h = np.zeros((b, H), np.float32)
        c = np.zeros((b, H), np.float32)
        outs = np.empty((b, h_in.shape[1], H), np.float32)
        for t in range(h_in.shape[1]):
            g = xs[:, t] + h @ wh.T
            i, f, gg, o = _sigmoid(g[:, :H]), _sigmoid(g[:, H:2 * H]), np.tanh(g[:, 2 * H:3 * H]), _sigmoid(g[:, 3 * H:])
            c = f * c + i * gg
            h = o * np.tanh(c)
            outs[:, t] = h
        h_in = outs
    e = np.maximum(h @ w["linear.weight"].T + w["linear.bias"], 0.0)
    return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)


def _partials(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[tuple[int, int]]:
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = max(1, int(round((SR / rate) / HOP)))
    slices = [(i, i + PARTIAL) for i in range(0, max(1, n_frames - PARTIAL + step + 1), step)]
    last = slices[-1]
    coverage = (n_frames - last[0]) / PARTIAL
    if coverage < min_coverage and len(slices) > 1:
        slices = slices[:-1]
    return slices


def embed_processed(wav16: np.ndarray) -> np.ndarray:
    """The utterance embedding of already preprocessed 16 kHz audio."""
    if len(wav16) < SR // 2:
        raise RequestError("too little speech for a voice: at least 3 s are needed")
    mel = mel_power(wav16)
    slices = _partials(len(wav16))
    need = slices[-1][1]
    if need > len(mel):
        mel = np.pad(mel, ((0, need - len(mel)), (0, 0)))
    batch = np.stack([mel[a:b] for a, b in slices])
    partial = _forward(batch)
    raw = partial.mean(axis=0)
    return (raw / np.linalg.norm(raw)).astype(np.float32)


_cache: OrderedDict = OrderedDict()


def embed(wav: np.ndarray, sr: int) -> np.ndarray:
    """GE2E embedding (256, L2-normalised), cached by the audio's SHA-256."""
    a = np.ascontiguousarray(np.asarray(wav, np.float32))
    key = hashlib.sha256(a.tobytes() + str(sr).encode()).hexdigest()
    hit = _cache.get(key)
    if hit is not None:
        return hit
    e = embed_processed(preprocess(a, sr))
    _cache[key] = e
    while len(_cache) > 256:
        _cache.popitem(last=False)
    return e


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def embed_batch(wavs: list[np.ndarray], sr: int, max_batch: int = 256) -> list[np.ndarray | None]:
    """GE2E embeddings of many clips at once (None for a clip with too little speech): their 1.6 s partial
    windows run through the network together, which is many times faster than one clip at a time (the LSTM
    steps are the same 160 per batch, whatever its size)."""
    prepared: list[tuple[int, np.ndarray]] = []  # (clip index, (n_partials, 160, 40))
    for i, w in enumerate(wavs):
        x = preprocess(np.asarray(w, np.float32), sr)
        if len(x) < SR // 2:
            continue
        mel = mel_power(x)
        slices = _partials(len(x))
        need = slices[-1][1]
        if need > len(mel):
            mel = np.pad(mel, ((0, need - len(mel)), (0, 0)))
        prepared.append((i, np.stack([mel[a:b] for a, b in slices])))
    out: list[np.ndarray | None] = [None] * len(wavs)
    if not prepared:
        return out
    owners = np.concatenate([np.full(len(m), i) for i, m in prepared])
    batch = np.concatenate([m for _, m in prepared])
    partial = np.concatenate([_forward(batch[k:k + max_batch]) for k in range(0, len(batch), max_batch)])
    for i, _m in prepared:
        raw = partial[owners == i].mean(axis=0)
        out[i] = (raw / np.linalg.norm(raw)).astype(np.float32)
    return out
