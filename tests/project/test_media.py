"""project.media and project.waveform against generated files with frame numbers in the picture.

Every test video carries its frame number as a 16-bit barcode of black/white
squares, big enough to survive H.264 compression, so a returned frame can be
identified by thresholding its pixels.  GOP 12 with B-frames makes seeks
cross keyframes and exercises the reordering between decode and display order.
"""

from __future__ import annotations

import random
from fractions import Fraction

import av
import numpy as np
import pytest

from project.media import MediaError, MediaInfo, VideoReader, load_audio, mux_audio_into_video, probe
from project.waveform import WaveformPyramid

W, H = 256, 144
CELL = 32  # barcode square size in pixels; 8 x 2 squares = 16 bits
SR = 48000


def draw_number(n: int, w: int = W, h: int = H) -> np.ndarray:
    img = np.full((h, w, 3), 40, np.uint8)
    img[:, :, 2] = (np.arange(w) * 255 // w).astype(np.uint8)  # something besides the code to compress
    for b in range(16):
        row, col = divmod(b, 8)
        y, x = 8 + row * CELL, col * CELL
        img[y: y + CELL, x: x + CELL] = 255 if (n >> b) & 1 else 0
    return img


def read_number(img: np.ndarray) -> int:
    n = 0
    q = CELL // 4
    for b in range(16):
        row, col = divmod(b, 8)
        y, x = 8 + row * CELL, col * CELL
        if img[y + q: y + CELL - q, x + q: x + CELL - q].mean() > 128:
            n |= 1 << b
    return n


def make_video(path, n_frames=60, fps=25, gop=12, audio_seconds: float | None = None, vfr_steps=None,
               bframes=True):
    """H.264 mp4 with numbered frames; ``vfr_steps``: per-frame durations in ms (variable frame rate)."""
    c = av.open(str(path), "w")
    s = c.add_stream("libx264", rate=fps)
    s.width, s.height, s.pix_fmt = W, H, "yuv420p"
    s.codec_context.gop_size = gop
    s.options = {"preset": "veryfast", "crf": "20", "bf": "3" if bframes else "0", "sc_threshold": "0",
                 "threads": "1"}
    if vfr_steps is not None:
        s.codec_context.time_base = Fraction(1, 1000)
    a = None
    if audio_seconds is not None:
        a = c.add_stream("aac", rate=SR)
        a.layout = "stereo"
    t_ms = 0
    for i in range(n_frames):
        frame = av.VideoFrame.from_ndarray(draw_number(i), format="rgb24")
        if vfr_steps is not None:
            frame.pts, frame.time_base = t_ms, Fraction(1, 1000)
            t_ms += vfr_steps[i % len(vfr_steps)]
        for p in s.encode(frame):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    if a is not None:
        n = int(audio_seconds * SR)
        t = np.arange(n) / SR
        left = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        right = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        st = np.stack([left, right])
        for k in range(0, n, 1024):
            f = av.AudioFrame.from_ndarray(np.ascontiguousarray(st[:, k: k + 1024]), format="fltp", layout="stereo")
            f.sample_rate, f.pts = SR, k
            for p in a.encode(f):
                c.mux(p)
        for p in a.encode():
            c.mux(p)
    c.close()
    return path


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("media") / "numbered.mp4", n_frames=100, audio_seconds=4.0)


@pytest.fixture(scope="module")
def silent_video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("media") / "silent.mp4", n_frames=30)


def test_barcode_round_trips():
    for n in (0, 1, 99, 12345, 65535):
        assert read_number(draw_number(n)) == n


# ---------------------------------------------------------------- VideoReader
@pytest.mark.parametrize("backend", ["pyav", "opencv"])
def test_read_frame_is_exact_for_forward_backward_and_random_seeks(video, backend):
    with VideoReader(video, backend=backend, cache_frames=4) as r:
        assert r.backend == backend
        assert (r.width, r.height, r.frame_count) == (W, H, 100)
        order = list(range(100)) + list(range(99, -1, -1))
        rng = random.Random(7)
        order += [rng.randrange(100) for _ in range(150)]
        order += [11, 12, 13, 23, 24, 25, 35, 36, 0, 99, 47]  # either side of keyframes (GOP 12)
        wrong = [(i, n) for i in order if (n := read_number(r.read_frame(i))) != i]
        assert wrong == []


@pytest.mark.parametrize("container", ["ts", "mkv", "mov"])
def test_read_frame_is_exact_in_other_containers(video, tmp_path, container):
    """MPEG-TS has no index and starts at 1.4 s: a seek to its start lands on the second keyframe."""
    import subprocess

    from project.media import ffmpeg_exe

    out = tmp_path / f"numbered.{container}"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(video), "-map", "0:v", "-c", "copy", str(out)], check=True)
    with VideoReader(out, cache_frames=2) as r:
        assert abs(r.frame_count - 100) <= 1  # estimated from the duration where the container has no count
        rng = random.Random(5)
        order = [0, 5, 11, 12, 0, 30] + [rng.randrange(100) for _ in range(60)] + list(range(99, -1, -1))
        wrong = [(i, n) for i in order if (n := read_number(r.read_frame(i))) != i]
        assert wrong == []


def test_seeked_frames_are_pixel_identical_to_sequential_decoding(video):
    """Seeking (and skipping unreferenced frames on the way) must not change a single pixel."""
    with VideoReader(video, cache_frames=200) as r:
        sequential = [r.read_frame(i).copy() for i in range(100)]
    with VideoReader(video, cache_frames=1) as r:
        rng = random.Random(11)
        for i in [rng.randrange(100) for _ in range(40)] + [99, 0, 13, 12, 11]:
            np.testing.assert_array_equal(r.read_frame(i), sequential[i], err_msg=f"frame {i}")


def test_reader_can_be_shared_between_threads(video):
    import threading

    errors = []
    with VideoReader(video, cache_frames=3) as r:
        def worker(seed):
            rng = random.Random(seed)
            for _ in range(40):
                i = rng.randrange(100)
                if read_number(r.read_frame(i)) != i:
                    errors.append(i)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def test_frame_is_rgb_uint8(video):
    with VideoReader(video) as r:
        f = r.read_frame(3)
        assert f.shape == (H, W, 3) and f.dtype == np.uint8
        # the gradient is in the blue channel (RGB order, not OpenCV's BGR)
        row = f[H - 4].astype(int)
        assert row[-1, 2] - row[0, 2] > 150
        assert abs(row[-1, 0] - row[0, 0]) < 20


def test_next_frame_decodes_forward_without_seeking(video):
    with VideoReader(video, cache_frames=2) as r:
        r.read_frame(40)
        seeks = r._dec.seeks
        for i in range(41, 60):
            assert read_number(r.read_frame(i)) == i
        assert r._dec.seeks == seeks


def test_stepping_back_reuses_frames_decoded_on_the_way(video):
    with VideoReader(video) as r:
        r.read_frame(47)
        seeks = r._dec.seeks
        for i in range(46, 40, -1):
            assert read_number(r.read_frame(i)) == i
        assert r._dec.seeks == seeks


def test_cache_returns_the_same_frame_without_decoding(video):
    with VideoReader(video) as r:
        a = r.read_frame(30)
        decoded = r._dec.decoded
        b = r.read_frame(30)
        assert b is a and r._dec.decoded == decoded
        with pytest.raises(ValueError):
            a[0, 0, 0] = 1  # shared with the cache: read-only


def test_cache_is_bounded(video):
    with VideoReader(video, cache_frames=5) as r:
        for i in range(0, 60, 3):
            r.read_frame(i)
        assert len(r._cache) <= 5


def test_out_of_range_indexes_are_clamped(video):
    with VideoReader(video) as r:
        assert read_number(r.read_frame(-5)) == 0
        assert read_number(r.read_frame(10_000)) == 99


def test_reader_properties_and_time_mapping(video):
    with VideoReader(video) as r:
        assert r.fps == pytest.approx(25.0)
        assert r.duration == pytest.approx(4.0, abs=0.05)
        assert r.is_vfr is False
        assert r.time_of(50) == pytest.approx(2.0)
        assert r.index_at(2.0) == 50
        assert r.index_at(2.039) == 50


def test_vfr_file_is_detected_and_frames_follow_time(tmp_path):
    steps = [80, 40, 40]  # ms: frames of uneven length
    path = make_video(tmp_path / "vfr.mp4", n_frames=45, vfr_steps=steps)
    info = probe(path)
    assert info.is_vfr
    with VideoReader(path) as r:
        assert r.is_vfr
        # frame k starts at these times (ms); the frame on screen at t is the last one started
        starts = np.cumsum([0] + [steps[i % 3] for i in range(44)])
        for idx in [0, 1, 2, 3, 5, 8, 13, 21, 34, 20, 10, 4, 1]:
            t_ms = idx / r.fps * 1000
            expected = int(np.searchsorted(starts, t_ms + 0.5 * 1000 / r.fps, side="right") - 1)
            got = read_number(r.read_frame(idx))
            # the on-screen frame, or its neighbour when the grid point falls within half a slot
            assert got in (expected, expected - 1), (idx, got, expected)


def test_cfr_file_is_not_vfr(video, tmp_path):
    assert probe(video).is_vfr is False
    # Scans that end inside a B-frame group (decode order is not display order) must
    # not mistake the frames still to come for a gap.
    from project.media import _scan_vfr

    long = make_video(tmp_path / "long.mp4", n_frames=200, gop=50)
    flagged = []
    for limit in range(20, 60):
        with av.open(str(long)) as c:
            if _scan_vfr(c, c.streams.video[0], limit):
                flagged.append(limit)
    assert flagged == []
    assert probe(long).is_vfr is False


def test_not_a_video_gives_a_one_line_media_error(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n" * 50)
    for fn in (VideoReader, probe, load_audio):
        with pytest.raises(MediaError) as e:
            fn(bad)
        msg = str(e.value)
        assert "\n" not in msg
        assert "notes.mp4" in msg
    with pytest.raises(MediaError, match="not a video file or unsupported codec"):
        VideoReader(bad)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        VideoReader(tmp_path / "gone.mp4")
    with pytest.raises(MediaError, match="folder"):
        probe(tmp_path)


def test_audio_file_has_no_video_stream(tmp_path):
    import soundfile as sf

    wav = tmp_path / "tone.wav"
    sf.write(wav, np.zeros(SR // 2, np.float32), SR)
    with pytest.raises(MediaError, match="no video stream"):
        VideoReader(wav)
    info = probe(wav)
    assert (info.has_video, info.has_audio, info.sample_rate, info.channels) == (False, True, SR, 1)
    assert info.duration == pytest.approx(0.5)


# ---------------------------------------------------------------- probe
def test_probe_video_with_audio(video):
    info = probe(video)
    assert isinstance(info, MediaInfo)
    assert info.has_video and info.has_audio
    assert info.fps == pytest.approx(25.0)
    assert (info.width, info.height) == (W, H)
    assert info.duration == pytest.approx(4.0, abs=0.05)
    assert info.frame_count == 100
    assert (info.sample_rate, info.channels) == (SR, 2)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")


def test_probe_video_without_audio(silent_video):
    info = probe(silent_video)
    assert info.has_video and not info.has_audio
    assert info.sample_rate == 0 and info.channels == 0


# ---------------------------------------------------------------- load_audio
@pytest.mark.parametrize("rate", [48000, 16000])
def test_load_audio_is_mono_float32_at_the_asked_rate(video, rate):
    a = load_audio(video, sample_rate=rate)
    assert a.dtype == np.float32 and a.ndim == 1
    # 4 s; AAC pads the last frame by up to 1024 samples at 48 kHz
    assert 4.0 * rate <= len(a) <= 4.0 * rate + 1024 * rate / SR + 64
    # a 440 Hz sine of amplitude 0.5 in both channels: mono RMS 0.5/sqrt(2), channels averaged (not summed)
    mid = a[len(a) // 4: 3 * len(a) // 4]
    assert np.sqrt(np.mean(mid**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    spectrum = np.abs(np.fft.rfft(mid))
    assert np.fft.rfftfreq(len(mid), 1 / rate)[np.argmax(spectrum)] == pytest.approx(440, abs=2)


def test_load_audio_starts_with_the_first_frame(video):
    a = load_audio(video)
    t = np.arange(2048) / SR
    ref = np.sin(2 * np.pi * 440 * t)
    lags = [float(np.dot(a[lag: lag + 2048], ref)) for lag in range(-0, 110)]
    assert int(np.argmax(lags)) in (0, 109)  # in phase at lag 0 (one 440 Hz period is 109 samples)


def test_video_without_audio_returns_none(silent_video):
    assert load_audio(silent_video) is None


def test_ffmpeg_binary_fallback_decodes_the_same_audio(video, silent_video):
    from engine.audio_decode import _load_audio_ffmpeg

    a = load_audio(video, sample_rate=16000)
    b = _load_audio_ffmpeg(video, 16000)
    assert b.dtype == np.float32 and abs(len(a) - len(b)) <= 1024
    n = min(len(a), len(b))
    assert np.sqrt(np.mean((a[:n] - b[:n]) ** 2)) < 0.02  # same signal; resamplers differ slightly
    assert _load_audio_ffmpeg(silent_video, 16000) is None


def test_load_audio_of_a_wav(tmp_path):
    import soundfile as sf

    wav = tmp_path / "ramp.wav"
    x = np.linspace(-0.5, 0.5, 24000, dtype=np.float32)
    sf.write(wav, np.stack([x, x], axis=1), 24000, subtype="FLOAT")
    a = load_audio(wav, sample_rate=24000)
    assert len(a) == 24000
    np.testing.assert_allclose(a[100:-100], x[100:-100], atol=1e-4)


# ---------------------------------------------------------------- muxing
def test_mux_copies_video_and_adds_audio(video, tmp_path):
    out = tmp_path / "dubbed.mp4"
    dub = (0.3 * np.sin(2 * np.pi * 220 * np.arange(4 * SR) / SR)).astype(np.float32)
    assert mux_audio_into_video(video, dub, SR, out, keep_original_audio=True) == out
    with av.open(str(video)) as src, av.open(str(out)) as dst:
        assert len(dst.streams.video) == 1 and len(dst.streams.audio) == 2
        # stream copy: identical compressed packets
        a = [bytes(p) for p in src.demux(src.streams.video[0]) if p.size]
        b = [bytes(p) for p in dst.demux(dst.streams.video[0]) if p.size]
        assert a == b
    with VideoReader(out) as r:
        assert read_number(r.read_frame(57)) == 57
    back = load_audio(out)
    mid = back[SR: 3 * SR]
    spectrum = np.abs(np.fft.rfft(mid))
    assert np.fft.rfftfreq(len(mid), 1 / SR)[np.argmax(spectrum)] == pytest.approx(220, abs=2)
    assert not list(tmp_path.glob(".dubbed*"))  # no temp file left behind
    assert out.stat().st_mode & 0o044  # an ordinary file, not mkstemp's 0600


def test_mux_stereo_dub_without_original(video, tmp_path):
    out = tmp_path / "stereo.mp4"
    dub = np.zeros((2 * SR, 2), np.float32)
    dub[:, 0] = 0.2
    mux_audio_into_video(video, dub, SR, out)
    info = probe(out)
    assert info.has_video and info.has_audio and info.channels == 2
    with av.open(str(out)) as c:
        assert len(c.streams.audio) == 1


def test_mux_failure_keeps_the_old_file(tmp_path, silent_video):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous export")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(MediaError):
        mux_audio_into_video(bad, np.zeros(SR, np.float32), SR, out)
    assert out.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------- waveform
@pytest.fixture(scope="module")
def signal():
    rng = np.random.default_rng(3)
    n = SR * 30 + 123  # not a multiple of any block size
    x = rng.standard_normal(n).astype(np.float32) * 0.1
    x *= np.sin(np.arange(n) / SR * 2 * np.pi * 0.2).astype(np.float32)  # slow swell
    x[SR * 10] = 0.99  # isolated peaks that a coarse level must not lose
    x[SR * 20 + 5] = -0.97
    return x


def test_pyramid_levels(signal):
    w = WaveformPyramid(signal, SR)
    sizes = [b for b, _, _ in w.levels]
    assert sizes[0] == 256 and all(b2 == 4 * b1 for b1, b2 in zip(sizes, sizes[1:], strict=False))
    assert w.duration == pytest.approx(len(signal) / SR)
    assert w.nbytes < signal.nbytes / 50


@pytest.mark.parametrize("span", [30.0, 7.3, 1.0, 0.05, 0.004, 0.0005])
def test_envelope_shape_and_brackets_the_signal(signal, span):
    w = WaveformPyramid(signal, SR)
    rng = np.random.default_rng(int(span * 1000))
    for _ in range(20):
        n = int(rng.integers(1, 2500))
        t0 = float(rng.uniform(0, max(0.0, 30 - span)))
        t1 = t0 + span
        mins, maxs = w.envelope(t0, t1, n)
        assert mins.shape == (n,) and maxs.shape == (n,)
        assert np.all(mins <= maxs)
        edges = (t0 + (t1 - t0) * np.arange(n + 1) / n) * SR
        for c in range(n):
            a, b = int(np.floor(edges[c])), int(np.ceil(edges[c + 1]))
            seg = signal[max(a, 0): min(b, len(signal))]
            if edges[c + 1] - edges[c] >= 1:
                assert mins[c] <= seg.min() and maxs[c] >= seg.max()
                # ...and not loosely: within one block either side
                block = max([blk for blk, _, _ in w.levels if blk <= edges[c + 1] - edges[c]], default=1)
                wide = signal[max(a - block, 0): min(b + block, len(signal))]
                assert mins[c] >= wide.min() and maxs[c] <= wide.max()
            else:  # under a sample per column: the range of the interpolated line over the column
                lo_i = max(a - 1, 0)
                local = signal[lo_i: min(b + 2, len(signal))]
                ends = np.interp(edges[c: c + 2] - lo_i, np.arange(len(local)), local)
                assert mins[c] <= ends.min() + 1e-6 and maxs[c] >= ends.max() - 1e-6
                near = signal[max(a, 0): min(b + 1, len(signal))]  # the samples the line runs between
                assert mins[c] >= near.min() - 1e-6 and maxs[c] <= near.max() + 1e-6


def test_envelope_keeps_isolated_peaks_when_zoomed_out(signal):
    w = WaveformPyramid(signal, SR)
    mins, maxs = w.envelope(0, 30, 300)
    assert maxs.max() == pytest.approx(0.99)
    assert mins.min() == pytest.approx(-0.97)


def test_envelope_outside_the_audio_is_zero(signal):
    w = WaveformPyramid(signal, SR)
    mins, maxs = w.envelope(-10, 40, 500)
    assert np.all(maxs[:90] == 0) and np.all(mins[:90] == 0)
    assert np.all(maxs[-90:] == 0)
    assert maxs[100:400].max() > 0
    assert w.envelope(5, 5, 10)[0].shape == (10,)
    assert w.envelope(0, 1, 0)[0].shape == (0,)


def test_envelope_of_empty_and_tiny_audio():
    w = WaveformPyramid(np.zeros(0, np.float32), SR)
    assert w.envelope(0, 1, 4)[1].tolist() == [0, 0, 0, 0]
    w = WaveformPyramid(np.array([0.5, -0.5, 0.25], np.float32), 3)
    mins, maxs = w.envelope(0, 1, 3)
    assert maxs.max() == pytest.approx(0.5) and mins.min() == pytest.approx(-0.5)
