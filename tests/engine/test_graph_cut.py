"""Cutting the stock graph into predictor / prosody / decoder loses nothing."""

import numpy as np
import onnx
import onnxruntime as ort

from engine.embedded.kokoro_graph import cut_stages
from engine.model_store import load_vocab, model_path, stock_voices_path


def test_cut_stages_reproduce_stock_audio_bit_exactly():
    model = onnx.load(str(model_path()))
    stages = cut_stages(model)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = {k: ort.InferenceSession(v.SerializeToString(), so, providers=["CPUExecutionProvider"])
            for k, v in stages.items()}
    stock = ort.InferenceSession(str(model_path()), so, providers=["CPUExecutionProvider"])
    vocab = load_vocab()
    toks = [vocab[c] for c in "ni↓xau↓, ʂɨ↘ʨje↘."]
    tokens = np.array([[0, *toks, 0]], np.int64)
    style = np.load(stock_voices_path())["jf_alpha"][len(toks) - 1].reshape(1, 256).astype(np.float32)
    speed = np.ones(1, np.float32)
    pred, features = sess["predictor"].run(None, {"tokens": tokens, "style": style, "speed": speed})
    assert features.shape == (1, tokens.shape[1], 640)
    durations = np.clip(np.rint(pred), 1, None).astype(np.int64)
    # the prosody stage reads the predictor's features instead of computing PL-BERT again
    assert [i.name for i in stages["prosody"].graph.input] == ["features", "style", "durations"]
    assert not any("/bert/" in n.name for n in stages["prosody"].graph.node)
    f0, energy = sess["prosody"].run(None, {"features": features, "style": style, "durations": durations})
    assert f0.shape == energy.shape == (1, 2 * int(durations.sum()))
    audio = sess["decoder"].run(None, {"tokens": tokens, "style": style, "durations": durations,
                                       "f0": f0, "energy": energy})[0]
    ref = stock.run(None, {"tokens": tokens, "style": style, "speed": speed})[0]
    assert audio.shape == ref.shape == (int(durations.sum()) * 600,)
    assert np.array_equal(audio, ref)


def test_stale_graph_builds_are_pruned(tmp_path):
    from engine.embedded.kokoro_graph import _prune_stale_builds

    graphs = tmp_path / "graphs"
    keep = graphs / "kokoro-abc-g1-tnew"
    old = graphs / "kokoro-abc-g1-told"
    other = graphs / "not-ours"
    for d in (keep, old, other):
        d.mkdir(parents=True)
        (d / "decoder.onnx").write_bytes(b"x")
    _prune_stale_builds(keep)
    assert keep.is_dir() and other.is_dir() and not old.exists()


def test_cpu_sessions_reuse_a_cached_optimised_graph(tmp_path):
    from onnx import TensorProto, helper

    from engine.embedded.kokoro_graph import open_session
    from engine.embedded.onnx_speed import cpu_session_options

    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    path = tmp_path / "stage.onnx"
    path.write_bytes(m.SerializeToString())
    x = np.array([[-1, 2, -3, 4]], np.float32)
    cpu = ["CPUExecutionProvider"]
    s1 = open_session(path, cpu_session_options(1), cpu)
    opt = [p for p in tmp_path.iterdir() if p.name.endswith(".opt.onnx")]
    assert len(opt) == 1 and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    s2 = open_session(path, cpu_session_options(1), cpu)
    opt[0].write_bytes(b"damaged")
    s3 = open_session(path, cpu_session_options(1), cpu)  # rebuilt, not an error
    for s in (s1, s2, s3):
        assert s.run(None, {"x": x})[0].tolist() == [[0, 2, 0, 4]]
    assert opt[0].stat().st_size > 10
