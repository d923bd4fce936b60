"""A generated test video with known shot cuts (shared by tests and benchmarks)."""

from __future__ import annotations

import numpy as np


def make_cut_video(path, cuts=(37, 90, 151, 203), n_frames: int = 250, fps: int = 25, size=(320, 180),
                   codec: str = "mpeg4"):
    """Scenes of different colours and textures with a moving ball; returns the cut frames."""
    import av
    import cv2

    w, h = size
    rng = np.random.default_rng(3)
    bounds = [0, *cuts, n_frames]
    scenes = []
    for _ in range(len(bounds) - 1):
        base = rng.integers(0, 255, 3)
        tex = cv2.resize(rng.integers(0, 255, (h // 16, w // 16, 3), dtype=np.uint8), (w, h),
                         interpolation=cv2.INTER_CUBIC)
        img = np.clip(0.55 * tex + 0.45 * base, 0, 255).astype(np.uint8)
        scenes.append(img)
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.codec_context.gop_size = 12
        scene = 0
        for i in range(n_frames):
            while i >= bounds[scene + 1]:
                scene += 1
            img = scenes[scene].copy()
            # motion inside a shot: a ball crossing and a slow pan of the texture
            shift = (i - bounds[scene]) * 2
            img = np.roll(img, shift, axis=1)
            cx = int((i * 7) % w)
            cv2.circle(img, (cx, h // 2), h // 6, (240, 240, 240), -1)
            frame = av.VideoFrame.from_ndarray(img[:, :, ::-1].copy(), format="rgb24")
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return list(cuts)
