"""Cut the stock Kokoro graph into the three stages the engine drives.

The stock graph goes tokens -> durations -> (F0, energy) -> audio in one call,
which leaves no room to *plan* durations or shape pitch.  We cut it at three
tensors (names verified on the v1.0 int8 export):

* ``/encoder/Div_output_0``  – predicted per-token durations (float frames)
* ``/encoder/Cast_output_0`` – the integer durations the aligner uses, [1, T]
* ``/encoder/Squeeze_output_0`` / ``/encoder/Squeeze_1_output_0`` – F0 and
  energy curves, [1, 2N] for N duration frames

and extract three sub-graphs:

``predictor``  (tokens, style, speed)            -> durations_pred, features
``prosody``    (features, style, durations)      -> f0, energy
``decoder``    (tokens, style, durations, f0, energy) -> audio

``features`` (``/encoder/predictor/text_encoder/Concat_4_output_0``, [1, T,
640]) is the duration encoder's output: PL-BERT and the predictor's text
encoder, which the prosody stage would otherwise compute again for every set
of durations (3.4x slower; the same values).

Feeding the rounded prediction and the predicted curves back reproduces the
stock audio bit for bit (tested).  One duration frame is 600 samples at 24 kHz.

The sub-graphs are written once into the user cache (keyed by the model hash
and :data:`GRAPH_VERSION`) so later launches only load them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import atomic_path, atomic_write_bytes
from engine.errors import ModelError
from engine.model_store import cache_root, expected_sha256, model_path

#: Bump when the cut or the CPU transform changes, so caches rebuild.
GRAPH_VERSION = 2

DURATIONS_PRED = "/encoder/Div_output_0"
DURATIONS_INT = "/encoder/Cast_output_0"
F0_CURVE = "/encoder/Squeeze_output_0"
ENERGY_CURVE = "/encoder/Squeeze_1_output_0"
FEATURES = "/encoder/predictor/text_encoder/Concat_4_output_0"

STAGES = ("predictor", "prosody", "decoder")


@dataclass(frozen=True)
class StagePaths:
    predictor: Path
    prosody: Path
    decoder: Path


def _rename_tensor(graph, old: str, new: str) -> None:
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new
    for coll in (graph.input, graph.output, graph.value_info):
        for vi in coll:
            if vi.name == old:
                vi.name = new


def _set_input_type(graph, name: str, elem_type: int, dims: list) -> None:
    import onnx

    for vi in graph.input:
        if vi.name == name:
            vi.CopyFrom(onnx.helper.make_tensor_value_info(name, elem_type, dims))
            return
    raise ModelError(f"graph input {name} not found while cutting the model")


def _set_output_type(graph, name: str, elem_type: int, dims: list) -> None:
    import onnx

    for vi in graph.output:
        if vi.name == name:
            vi.CopyFrom(onnx.helper.make_tensor_value_info(name, elem_type, dims))
            return
    raise ModelError(f"graph output {name} not found while cutting the model")


def cut_stages(model) -> dict:
    """Return ``{"predictor": ModelProto, "prosody": ..., "decoder": ...}``."""
    import onnx
    import onnx.utils

    names = {o for n in model.graph.node for o in n.output}
    for needed in (DURATIONS_PRED, DURATIONS_INT, F0_CURVE, ENERGY_CURVE, FEATURES):
        if needed not in names:
            raise ModelError(f"the Kokoro graph has no tensor {needed}; unsupported model export")
    ex = onnx.utils.Extractor(model)
    f32, i64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64

    pred = ex.extract_model(["tokens", "style", "speed"], [DURATIONS_PRED, FEATURES])
    _rename_tensor(pred.graph, DURATIONS_PRED, "durations_pred")
    _rename_tensor(pred.graph, FEATURES, "features")
    _set_output_type(pred.graph, "durations_pred", f32, [1, "T"])
    _set_output_type(pred.graph, "features", f32, [1, "T", 640])

    pros = ex.extract_model([FEATURES, "style", DURATIONS_INT], [F0_CURVE, ENERGY_CURVE])
    _rename_tensor(pros.graph, FEATURES, "features")
    _set_input_type(pros.graph, "features", f32, [1, "T", 640])
    _rename_tensor(pros.graph, DURATIONS_INT, "durations")
    _rename_tensor(pros.graph, F0_CURVE, "f0")
    _rename_tensor(pros.graph, ENERGY_CURVE, "energy")
    _set_input_type(pros.graph, "durations", i64, [1, "T"])
    _set_output_type(pros.graph, "f0", f32, [1, "F"])
    _set_output_type(pros.graph, "energy", f32, [1, "F"])

    dec = ex.extract_model(["tokens", "style", DURATIONS_INT, F0_CURVE, ENERGY_CURVE], ["audio"])
    _rename_tensor(dec.graph, DURATIONS_INT, "durations")
    _rename_tensor(dec.graph, F0_CURVE, "f0")
    _rename_tensor(dec.graph, ENERGY_CURVE, "energy")
    _set_input_type(dec.graph, "durations", i64, [1, "T"])
    _set_input_type(dec.graph, "f0", f32, [1, "F"])
    _set_input_type(dec.graph, "energy", f32, [1, "F"])
    return {"predictor": pred, "prosody": pros, "decoder": dec}


def _speed_transform():
    """The CPU graph transform, if available (see engine/embedded/onnx_speed.py)."""
    try:
        from engine.embedded import onnx_speed
    except ImportError:
        return None, 0
    import hashlib

    fn = getattr(onnx_speed, "dequantize_for_cpu", None)
    # Key the cache on the transform's source, so any change to it rebuilds the graphs.
    # (and the native rewrite's, engine/embedded/onnx_native.py: the native decoder is built beside them)
    try:
        src = Path(onnx_speed.__file__)
        tag = hashlib.sha256(src.read_bytes() + src.with_name("onnx_native.py").read_bytes()).hexdigest()[:10]
    except OSError:
        tag = "1"
    return fn, tag


def stage_paths(progress=None) -> StagePaths:
    """Paths of the three stage graphs in the cache, building them if needed."""
    import onnx

    sha = expected_sha256()
    transform, tver = _speed_transform()
    key = f"kokoro-{sha[:16]}-g{GRAPH_VERSION}-t{tver if transform else 'none'}"
    folder = cache_root() / "graphs" / key
    paths = StagePaths(*(folder / f"{s}.onnx" for s in STAGES))
    manifest = folder / "manifest.json"
    if manifest.is_file() and all(p.is_file() for p in (paths.predictor, paths.prosody, paths.decoder)):
        try:
            info = json.loads(manifest.read_text())
            if all(
                Path(folder / f"{s}.onnx").stat().st_size == info["sizes"][s] for s in STAGES
            ):
                return paths
        except (OSError, ValueError, KeyError):
            pass  # damaged: rebuild
    if progress:
        progress("preparing the speech model (first run only)")
    src = model_path()
    try:
        model = onnx.load(str(src))
    except Exception as e:  # onnx raises DecodeError and friends
        raise ModelError(f"the cached model {src} cannot be read ({e}); delete it to rebuild") from e
    if transform is not None:
        model = transform(model)
    stages = cut_stages(model)
    sizes = {}
    for name, sub in stages.items():
        data = sub.SerializeToString()
        atomic_write_bytes(folder / f"{name}.onnx", data)
        sizes[name] = len(data)
    atomic_write_bytes(manifest, json.dumps({"sizes": sizes, "source_sha256": sha}).encode())
    _prune_stale_builds(folder)
    return paths


def native_decoder(paths: StagePaths, conv: str = "") -> Path:
    """The decoder stage with Dubline's native Snake/Sin kernels (built once beside it), and with
    ``conv="q8"`` its convolutions in 8 bits (``decoder.native-q8.onnx``), or with ``conv="fft"``
    its long ones in the frequency domain (``decoder.native-fft.onnx``).

    Only for sessions that registered engine.embedded.native's library (built with QConv for "q8",
    FConv for "fft"); raises ModelError when the graph cannot be rewritten.
    """
    import onnx

    from engine.embedded.onnx_native import use_native_ops

    name = "decoder.native" + (f"-{conv}" if conv else "")
    out = paths.decoder.with_name(f"{name}.onnx")
    stamp = out.with_name(f"{name}.json")
    try:
        if out.is_file() and json.loads(stamp.read_text()).get("size") == out.stat().st_size:
            return out
    except (OSError, ValueError, AttributeError):
        pass
    try:
        model, replaced = use_native_ops(onnx.load(str(paths.decoder)), conv)
    except Exception as e:  # noqa: BLE001 - onnx raises DecodeError and friends
        raise ModelError(f"the decoder graph could not be prepared for the native kernels ({e})") from e
    if not replaced:
        raise ModelError("the decoder graph has no Sin/Snake for the native kernels")
    data = model.SerializeToString()
    atomic_write_bytes(out, data)
    convs = {op.lower(): sum(n.op_type == op for n in model.graph.node) for op in ("QConv", "FConv", "WConv", "NormSnake")}
    atomic_write_bytes(stamp, json.dumps({"size": len(data), "replaced": replaced, **convs}).encode())
    return out


def _prune_stale_builds(keep: Path) -> None:
    """Delete graph folders left by older engine versions (about 370 MB each).

    Sessions read their graph into memory when they are created, so a process
    still running an older version is not disturbed.
    """
    import shutil

    for other in keep.parent.glob("kokoro-*"):
        if other != keep and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def _machine_key() -> str:
    """What an onnxruntime-optimised graph depends on: its version and this CPU's features."""
    import hashlib
    import platform

    import onnxruntime as ort

    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    flags = line
                    break
    except OSError:
        flags = platform.processor()
    raw = f"{ort.__version__}|{platform.machine()}|{flags}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def open_session(path: Path, options, providers: list[str]):
    """An onnxruntime session for a stage graph, CPU sessions from a cached optimised copy.

    Optimising the float decoder (NCHWc layouts, fusions) takes most of the
    engine's load time; the optimised graph is saved beside the stage once
    (it is specific to this CPU and onnxruntime version, hence the key in its
    name) and later loads skip the work: 1.2 s -> 0.55 s for the three stages.
    """

    import onnxruntime as ort

    if providers != ["CPUExecutionProvider"]:
        return ort.InferenceSession(str(path), options, providers=providers)
    opt = path.with_name(f"{path.stem}.{_machine_key()}.opt.onnx")
    if opt.is_file():
        level = options.graph_optimization_level
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return ort.InferenceSession(str(opt), options, providers=providers)
        except Exception:  # damaged or foreign: rebuild it below
            opt.unlink(missing_ok=True)
        finally:
            options.graph_optimization_level = level
    severity = options.log_severity_level
    options.log_severity_level = 3  # not the "hardware specific" notice: we key the file by hardware
    sess = None
    try:
        with atomic_path(opt, fresh=True) as tmp:
            options.optimized_model_filepath = str(tmp)
            sess = ort.InferenceSession(str(path), options, providers=providers)
    except OSError:  # the optimised copy is a cache: without it the next start optimises again
        if sess is None:
            raise
    finally:
        options.optimized_model_filepath = ""
        options.log_severity_level = severity
    return sess
