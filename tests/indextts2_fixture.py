"""Build a tiny random-weight IndexTTS2 model set in the official layout.

Runs inside the IndexTTS2 environment (``.venv-indextts2``): it instantiates the
package's own module classes with small sizes, so the checkpoint folder and the
Hugging Face cache have exactly the files, keys and shapes the package loads.
Sizes the code fixes are kept: GPT model_dim 1280, w2v-bert hidden 1024 with
17 layers (the package reads hidden_states[17]), semantic codec hidden 1024,
CAMPPlus (80, 192), a BigVGAN whose upsampling product is 256.  Everything
else is shrunk so a line renders in seconds on a CPU.

    .venv-indextts2/bin/python tests/indextts2_fixture.py OUT_DIR

writes ``OUT_DIR/checkpoints`` and ``OUT_DIR/hf_cache`` and prints a JSON line.
The speech is noise, of course: tests check plumbing and exact lengths.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

VERSION = 3  # bump when the layout or sizes change (the test cache keys on it)

CONFIG = """\
dataset:
    bpe_model: bpe.model
    sample_rate: 24000
    squeeze: false
    mel:
        sample_rate: 24000
        n_fft: 1024
        hop_length: 256
        win_length: 1024
        n_mels: 100
        mel_fmin: 0
        normalize: false
gpt:
    model_dim: 1280
    max_mel_tokens: 200
    max_text_tokens: 200
    heads: 20
    use_mel_codes_as_input: true
    mel_length_compression: 1024
    layers: 1
    number_text_tokens: 256
    number_mel_codes: 66
    start_mel_token: 64
    stop_mel_token: 65
    start_text_token: 0
    stop_text_token: 1
    train_solo_embeddings: false
    condition_type: "conformer_perceiver"
    condition_module:
        output_size: 64
        linear_units: 64
        attention_heads: 2
        num_blocks: 1
        input_layer: "conv2d2"
        perceiver_mult: 2
    emo_condition_module:
        output_size: 64
        linear_units: 64
        attention_heads: 2
        num_blocks: 1
        input_layer: "conv2d2"
        perceiver_mult: 2
semantic_codec:
    codebook_size: 64
    hidden_size: 1024
    codebook_dim: 8
    vocos_dim: 64
    vocos_intermediate_dim: 64
    vocos_num_layers: 1
s2mel:
    preprocess_params:
        sr: 22050
        spect_params:
            n_fft: 1024
            win_length: 1024
            hop_length: 256
            n_mels: 80
            fmin: 0
            fmax: "None"
    dit_type: "DiT"
    reg_loss_type: "l1"
    style_encoder:
        dim: 192
    length_regulator:
        channels: 64
        is_discrete: false
        in_channels: 1024
        content_codebook_size: 2048
        sampling_ratios: [1, 1, 1, 1]
        vector_quantize: false
        n_codebooks: 1
        quantizer_dropout: 0.0
        f0_condition: false
        n_f0_bins: 512
    DiT:
        hidden_dim: 64
        num_heads: 2
        depth: 1
        class_dropout_prob: 0.1
        block_size: 8192
        in_channels: 80
        style_condition: true
        final_layer_type: 'wavenet'
        target: 'mel'
        content_dim: 64
        content_codebook_size: 1024
        content_type: 'discrete'
        f0_condition: false
        n_f0_bins: 512
        content_codebooks: 1
        is_causal: false
        long_skip_connection: true
        zero_prompt_speech_token: false
        time_as_token: false
        style_as_token: false
        uvit_skip_connection: true
        add_resblock_in_transformer: false
    wavenet:
        hidden_dim: 64
        num_layers: 1
        kernel_size: 5
        dilation_rate: 1
        p_dropout: 0.2
        style_condition: true
gpt_checkpoint: gpt.pth
w2v_stat: wav2vec2bert_stats.pt
s2mel_checkpoint: s2mel.pth
emo_matrix: feat2.pt
spk_matrix: feat1.pt
emo_num: [3, 17, 2, 8, 4, 5, 10, 24]
qwen_emo_path: qwen0.6bemo4-merge/
vocoder:
    type: "bigvgan"
    name: "nvidia/bigvgan_v2_22khz_80band_256x"
version: 2.0
"""

BIGVGAN = {
    "resblock": "1",
    "num_mels": 80,
    "upsample_rates": [4, 4, 4, 4],
    "upsample_kernel_sizes": [8, 8, 8, 8],
    "upsample_initial_channel": 64,
    "resblock_kernel_sizes": [3],
    "resblock_dilation_sizes": [[1, 3, 5]],
    "use_tanh_at_final": False,
    "use_bias_at_final": False,
    "activation": "snakebeta",
    "snake_logscale": True,
    "use_cqtd_instead_of_mrd": True,
    "sampling_rate": 22050,
    "hop_size": 256,
    "n_fft": 1024,
    "win_size": 1024,
    "num_freq": 1025,
    "fmin": 0,
    "fmax": None,
}

AUX_REPOS = {
    "w2v": "facebook/w2v-bert-2.0",
    "codec": "amphion/MaskGCT",
    "campplus": "funasr/campplus",
    "bigvgan": "nvidia/bigvgan_v2_22khz_80band_256x",
}
REVISION = "0" * 40


def _snapshot(hub: Path, repo: str) -> Path:
    base = hub / ("models--" + repo.replace("/", "--"))
    (base / "refs").mkdir(parents=True, exist_ok=True)
    (base / "refs" / "main").write_text(REVISION)
    snap = base / "snapshots" / REVISION
    snap.mkdir(parents=True, exist_ok=True)
    return snap


def _training_lines() -> list[str]:
    rng = random.Random(7)
    zh = "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从"
    en = ("the quick brown fox jumps over a lazy dog hello world we are ready to go now "
          "this is a test of the voice engine with numbers one two three and names like Mario").split()
    pinyin = ["XING2", "FA1", "CHU1", "CHONG2", "QING4", "DE2", "HANG2", "ZHANG3", "YIN1", "YUE4", "LE4"]
    lines = []
    for _ in range(400):
        k = rng.random()
        if k < 0.45:
            lines.append("".join(rng.choice(zh) for _ in range(rng.randint(4, 16))) + rng.choice("，。！？"))
        elif k < 0.8:
            lines.append(" ".join(rng.choice(en) for _ in range(rng.randint(3, 10))).upper() + rng.choice(".,!?"))
        else:
            lines.append(" ".join(rng.choice(pinyin) for _ in range(rng.randint(2, 5))))
    return lines


def build(out: Path) -> dict:
    import safetensors.torch
    import sentencepiece as spm
    import torch
    from omegaconf import OmegaConf

    torch.manual_seed(0)
    t0 = time.perf_counter()
    ck = out / "checkpoints"
    hub = out / "hf_cache" / "hub"
    ck.mkdir(parents=True, exist_ok=True)
    (ck / "config.yaml").write_text(CONFIG, encoding="utf-8")
    cfg = OmegaConf.create(CONFIG)

    # --- bpe.model: 256 pieces
    corpus = out / "bpe_corpus.txt"
    corpus.write_text("\n".join(_training_lines()) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(ck / "bpe"), vocab_size=256, model_type="bpe",
        character_coverage=0.995, hard_vocab_limit=False, bos_id=-1, eos_id=-1, unk_id=2, pad_id=-1,
        user_defined_symbols=[], minloglevel=2, num_threads=1,
    )
    corpus.unlink()
    (ck / "bpe.vocab").unlink(missing_ok=True)

    # --- GPT: one layer; the stop token's logit raised so lines end after a few codes
    from indextts.gpt.model_v2 import UnifiedVoice

    gpt = UnifiedVoice(**cfg.gpt)
    with torch.no_grad():
        for p in gpt.parameters():
            if p.dim() > 1:
                p.mul_(0.5)
        gpt.mel_head.bias.zero_()
        gpt.mel_head.bias[cfg.gpt.stop_mel_token] = -1.0
    torch.save(gpt.state_dict(), ck / "gpt.pth")
    del gpt

    # --- s2mel (length regulator, DiT, gpt_layer)
    from indextts.s2mel.modules.commons import MyModel

    s2mel = MyModel(cfg.s2mel, use_gpt_latent=True)
    torch.save({"net": {k: m.state_dict() for k, m in s2mel.models.items()}}, ck / "s2mel.pth")
    del s2mel

    torch.save({"mean": torch.randn(1024) * 0.1, "var": torch.rand(1024) + 0.5}, ck / "wav2vec2bert_stats.pt")
    torch.save(torch.randn(73, 192), ck / "feat1.pt")
    torch.save(torch.randn(73, 1280) * 0.05, ck / "feat2.pt")

    _tiny_qwen(ck / "qwen0.6bemo4-merge")

    # --- the four auxiliaries, in a Hugging Face cache layout
    from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertConfig, Wav2Vec2BertModel

    snap = _snapshot(hub, AUX_REPOS["w2v"])
    w2v_cfg = Wav2Vec2BertConfig(hidden_size=1024, num_hidden_layers=17, num_attention_heads=8,
                                 intermediate_size=32, output_hidden_size=1024, conv_depthwise_kernel_size=3,
                                 position_embeddings_type="relative_key", left_max_position_embeddings=16,
                                 right_max_position_embeddings=4, add_adapter=False)
    Wav2Vec2BertModel(w2v_cfg).save_pretrained(snap)
    SeamlessM4TFeatureExtractor().save_pretrained(snap)

    from indextts.utils.maskgct_utils import build_semantic_codec

    snap = _snapshot(hub, AUX_REPOS["codec"])
    (snap / "semantic_codec").mkdir(exist_ok=True)
    safetensors.torch.save_model(build_semantic_codec(cfg.semantic_codec), str(snap / "semantic_codec" / "model.safetensors"))

    from indextts.s2mel.modules.campplus.DTDNN import CAMPPlus

    snap = _snapshot(hub, AUX_REPOS["campplus"])
    torch.save(CAMPPlus(feat_dim=80, embedding_size=192).state_dict(), snap / "campplus_cn_common.bin")

    from indextts.s2mel.modules.bigvgan import bigvgan

    snap = _snapshot(hub, AUX_REPOS["bigvgan"])
    (snap / "config.json").write_text(json.dumps(BIGVGAN, indent=1))
    voc = bigvgan.BigVGAN(bigvgan.AttrDict(BIGVGAN), use_cuda_kernel=False)
    torch.save({"generator": voc.state_dict()}, snap / "bigvgan_generator.pt")
    return {"checkpoints": str(ck), "hf_cache": str(out / "hf_cache"), "seconds": round(time.perf_counter() - t0, 1),
            "version": VERSION}


def _tiny_qwen(folder: Path) -> None:
    """A one-layer Qwen3 with a chat template.  Its final norm is zero, so every logit is 0
    and greedy decoding emits token 0, the end-of-turn token, at once: the emotion
    model answers "nothing detected" (calm), which the package maps to calm = 1.0."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    chars = sorted(set("文本情感分类高兴愤怒悲伤恐惧反感低落惊讶自然快点我们出发吧焦急地催促" +
                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:{}\"'!?\n"))
    specials = ["<|im_end|>", "<|im_start|>", "<unk>", "<think>", "</think>"]
    vocab = {t: i for i, t in enumerate(specials + [c for c in chars if c not in specials])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    tok.add_special_tokens(specials)
    template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n"
        "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|im_end|>",
                                   unk_token="<unk>")
    fast.chat_template = template
    fast.save_pretrained(folder)
    cfg = Qwen3Config(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=16, eos_token_id=0,
                      pad_token_id=0, bos_token_id=1, tie_word_embeddings=False, max_position_embeddings=512)
    model = Qwen3ForCausalLM(cfg)
    with torch.no_grad():
        model.model.norm.weight.zero_()
    model.save_pretrained(folder)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    out = Path(sys.argv[1])
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    info = build(out)
    (out / "fixture.json").write_text(json.dumps(info))
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
