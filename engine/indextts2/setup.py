"""Where IndexTTS2 comes from on this machine, and whether every file it needs is there.

Dubline never downloads.  The user gives a checkpoint folder in the official
IndexTeam/IndexTTS-2 layout and a Hugging Face cache holding the four
auxiliary models the package loads; :func:`check_files` names every missing
file and how to get it before anything heavy starts.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError

#: The four auxiliaries the package loads by repository id (hf_hub_download / from_pretrained).
AUX_FILES: dict[str, tuple[str, ...]] = {
    "facebook/w2v-bert-2.0": ("config.json", "preprocessor_config.json", "model.safetensors"),
    "amphion/MaskGCT": ("semantic_codec/model.safetensors",),
    "funasr/campplus": ("campplus_cn_common.bin",),
    "nvidia/bigvgan_v2_22khz_80band_256x": ("config.json", "bigvgan_generator.pt"),
}
CHECKPOINT_KEYS = ("gpt_checkpoint", "s2mel_checkpoint", "w2v_stat", "emo_matrix", "spk_matrix")
ENV_PREFIX = "DUBLINE_INDEXTTS2_"


@dataclass(frozen=True)
class IndexTTS2Settings:
    """What the user chose: folders, precision, and the Python of the IndexTTS2 environment."""

    checkpoints: str = ""
    hf_cache: str = ""
    fp16: bool = True
    python: str = ""

    def __post_init__(self):
        # absolute paths: the worker runs in another folder, and equal settings must compare equal
        for name in ("checkpoints", "hf_cache", "python"):
            v = getattr(self, name)
            if v:  # absolute(), not resolve(): a venv's python is a link that must stay one
                object.__setattr__(self, name, str(Path(v).expanduser().absolute()))

    @staticmethod
    def from_env() -> IndexTTS2Settings:
        e = os.environ
        return IndexTTS2Settings(
            checkpoints=e.get(ENV_PREFIX + "CHECKPOINTS", ""),
            hf_cache=e.get(ENV_PREFIX + "HF_CACHE", ""),
            fp16=e.get(ENV_PREFIX + "FP16", "1") not in ("0", "false", "no"),
            python=e.get(ENV_PREFIX + "PYTHON", ""),
        )

    def to_env(self) -> None:
        """Make these the process's settings (exports and headless renders in this process read them)."""
        os.environ[ENV_PREFIX + "CHECKPOINTS"] = self.checkpoints
        os.environ[ENV_PREFIX + "HF_CACHE"] = self.hf_cache
        os.environ[ENV_PREFIX + "FP16"] = "1" if self.fp16 else "0"
        os.environ[ENV_PREFIX + "PYTHON"] = self.python

    def merged(self, **overrides) -> IndexTTS2Settings:
        vals = {k: v for k, v in overrides.items() if v not in (None, "")}
        return IndexTTS2Settings(**{**self.__dict__, **vals})


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def find_python(explicit: str = "") -> str:
    """The interpreter that has ``indextts``: the setting, else the project's ``.venv-indextts2``,
    else this Python if the package is installed here (``pip install dubline[indextts2]``)."""
    if explicit:
        p = Path(explicit).expanduser()
        if p.is_dir():
            p = p / "bin" / "python"
        if not p.exists():
            raise ModelError(f"the IndexTTS2 Python {explicit} does not exist")
        return str(p)
    for cand in (repo_root() / ".venv-indextts2" / "bin" / "python",
                 repo_root() / ".venv-indextts2" / "Scripts" / "python.exe"):
        if cand.exists():
            return str(cand)
    import importlib.util

    if importlib.util.find_spec("indextts") is not None:
        return sys.executable
    raise ModelError(
        "IndexTTS2 is not installed: run `scripts/setup-env.sh --indextts2` (it makes .venv-indextts2 with "
        "the indextts2-inference package and its own torch), or set the IndexTTS2 Python in Preferences"
    )


def hub_dir(hf_cache: str | Path) -> Path:
    """Accept either HF_HOME (with hub/ inside) or the hub folder itself."""
    p = Path(hf_cache).expanduser()
    if (p / "hub").is_dir() and not any(p.glob("models--*")):
        return p / "hub"
    return p


def _snapshot(hub: Path, repo: str) -> Path | None:
    base = hub / ("models--" + repo.replace("/", "--"))
    ref = base / "refs" / "main"
    try:
        rev = ref.read_text().strip()
    except OSError:
        snaps = sorted((base / "snapshots").glob("*")) if (base / "snapshots").is_dir() else []
        return snaps[-1] if snaps else None
    snap = base / "snapshots" / rev
    return snap if snap.is_dir() else None


def read_config(checkpoints: Path) -> dict:
    import yaml

    try:
        cfg = yaml.safe_load((checkpoints / "config.yaml").read_text(encoding="utf-8"))
    except OSError as e:
        raise ModelError(f"cannot read {checkpoints / 'config.yaml'}: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise ModelError(f"{checkpoints / 'config.yaml'} is not valid YAML ({str(e).splitlines()[0]})") from e
    if not isinstance(cfg, dict):
        raise ModelError(f"{checkpoints / 'config.yaml'} is not an IndexTTS2 config")
    return cfg


def check_files(checkpoints: str, hf_cache: str) -> list[str]:
    """Every missing piece, one line each, with how to get it (empty: all there)."""
    missing: list[str] = []
    if not checkpoints:
        return ["no IndexTTS2 checkpoint folder is set (Preferences, or --checkpoints DIR)"]
    ck = Path(checkpoints).expanduser()
    get_ck = ("download IndexTeam/IndexTTS-2 from Hugging Face on a machine with internet "
              "(e.g. `hf download IndexTeam/IndexTTS-2 --local-dir DIR`) and point Dubline at DIR")
    if not ck.is_dir():
        return [f"the checkpoint folder {ck} does not exist: {get_ck}"]
    if not (ck / "config.yaml").is_file():
        return [f"{ck} has no config.yaml, so it is not an IndexTTS2 checkpoint folder: {get_ck}"]
    try:
        cfg = read_config(ck)
    except ModelError as e:
        return [str(e)]
    names = [cfg.get(k) for k in CHECKPOINT_KEYS]
    names.append((cfg.get("dataset") or {}).get("bpe_model"))
    for key, name in zip((*CHECKPOINT_KEYS, "dataset.bpe_model"), names, strict=True):
        if not name:
            missing.append(f"{ck / 'config.yaml'} does not name its {key}")
        elif not (ck / str(name).strip()).is_file():
            missing.append(f"{ck / str(name).strip()} is missing: {get_ck}")
    qwen = str(cfg.get("qwen_emo_path") or "").strip()
    if not qwen:
        missing.append(f"{ck / 'config.yaml'} does not name its qwen_emo_path")
    else:
        qd = ck / qwen
        if not (qd / "config.json").is_file():
            missing.append(f"{qd} (the emotion text model) is missing or incomplete: {get_ck}")
        elif not any(qd.glob("*.safetensors")) and not any(qd.glob("*.bin")):
            missing.append(f"{qd} has no weights (*.safetensors): {get_ck}")
        elif not (qd / "tokenizer_config.json").is_file() and not (qd / "tokenizer.json").is_file():
            missing.append(f"{qd} has no tokenizer files: {get_ck}")
    if not hf_cache:
        missing.append("no Hugging Face cache folder is set (Preferences, or --hf-cache DIR): it must hold "
                       + ", ".join(AUX_FILES))
        return missing
    hub = hub_dir(hf_cache)
    if not hub.is_dir():
        missing.append(f"the Hugging Face cache {hub} does not exist")
        return missing
    vocoder = str((cfg.get("vocoder") or {}).get("name") or "nvidia/bigvgan_v2_22khz_80band_256x")
    for repo, files in AUX_FILES.items():
        if repo.startswith("nvidia/bigvgan"):
            repo = vocoder
        snap = _snapshot(hub, repo)
        how = (f"on a machine with internet run `hf download {repo}` with HF_HUB_CACHE={hub}, "
               "then copy the folder here")
        if snap is None:
            missing.append(f"{repo} is not in the Hugging Face cache {hub}: {how}")
            continue
        for f in files:
            if not (snap / f).is_file():
                missing.append(f"{repo} lacks {f} in {snap}: {how}")
    return missing


def model_hash(checkpoints: str, hf_cache: str) -> str:
    """A fingerprint of the weights (config text; size and the first and last MiB of every file).

    Hashing every byte of several GB would take a minute at each start; this
    changes whenever a checkpoint is replaced.
    """
    h = hashlib.sha256()
    ck = Path(checkpoints).expanduser()
    files = sorted(p for p in ck.rglob("*") if p.is_file() and not p.name.startswith("."))
    hub = hub_dir(hf_cache)
    for repo in AUX_FILES:
        snap = _snapshot(hub, repo) if hub.is_dir() else None
        if snap is not None:
            files += sorted(p for p in snap.rglob("*") if p.is_file())
    for p in files:
        try:
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}".encode())
            with open(p, "rb") as f:
                h.update(f.read(1 << 20))
                if st.st_size > 2 << 20:
                    f.seek(-(1 << 20), os.SEEK_END)
                    h.update(f.read(1 << 20))
        except OSError:
            continue
    return h.hexdigest()[:16]
