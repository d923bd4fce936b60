"""`dubline batch`: many projects rendered together, each line once, in this process or on Ray workers
(project/batch.py, project/cluster.py).  Its own module: cli/main.py keeps within the size limits (tests/test_sizes.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import EXIT_USER_ERROR, UserError, add_indextts2_args, indextts2_settings, short, sub_parser


def add_batch(sub, p: argparse.ArgumentParser) -> None:
    b = sub_parser(sub, p, "batch", "render many projects, each line once, here or on a Ray cluster")
    b.add_argument("projects", nargs="+", metavar="PROJECT", help=".dubline project files")
    b.add_argument("--out", required=True, metavar="DIR",
                   help="output folder: NAME.FORMAT per project (NAME-stems/, NAME-clips/ for folders)")
    b.add_argument("--format", action="append", metavar="FORMAT",
                   help="wav (default), flac, mp4, mkv, srt, vtt, ass, otio, fcpxml, xml, edl, aaf, stems, clips; "
                        "repeat or separate by commas for several")
    b.add_argument("--ray", metavar="WHERE",
                   help="render on Ray: local (a Ray instance on this machine), auto (the cluster this machine "
                        "joined with `ray start`) or a cluster ADDRESS; default: in this process. Needs "
                        "pip install 'dubline[cluster]'")
    b.add_argument("--workers", type=int, metavar="N", help="Ray workers (default: as many as the cluster fits)")
    b.add_argument("--cpus-per-worker", type=float, default=1, metavar="N",
                   help="CPUs each Ray worker asks for (default 1; its engine runs that many threads)")
    b.add_argument("--gpu", action="store_true", help="each Ray worker asks for a GPU (IndexTTS2)")
    b.add_argument("--backend", choices=("embedded", "indextts2"),
                   help="render every project with this backend (default: each project's own; all the same)")
    b.add_argument("--consent", metavar="TEXT",
                   help="for regions whose voice is a recording: who agreed to it being cloned, and for what")
    b.add_argument("--force", action="store_true", help="allow outputs to replace inputs of a project")
    bl = b.add_argument_group("delivery (as for render)")
    bl.add_argument("--loudness", metavar="TARGET", help="ebu, atsc, web or a number of LUFS")
    bl.add_argument("--true-peak", type=float, metavar="DBTP")
    bl.add_argument("--sample-rate", type=int, metavar="HZ")
    bl.add_argument("--bit-depth", type=int, choices=(16, 24, 32), default=24)
    bl.add_argument("--mono", action="store_true")
    add_indextts2_args(b)


def cmd_batch(args) -> int:
    from project.export import FORMATS, ExportOptions

    formats = []
    for f in args.format or ["wav"]:
        for x in f.split(","):
            x = x.strip().lower()
            if x not in FORMATS:
                raise UserError(f"unknown format {x!r}; use {', '.join(FORMATS)}")
            if x not in formats:
                formats.append(x)
    if args.workers is not None and not 1 <= args.workers <= 4096:
        raise UserError(f"--workers {args.workers}: give 1 to 4096")
    if not 0 < args.cpus_per_worker <= 256:
        raise UserError(f"--cpus-per-worker {args.cpus_per_worker}: give a number of CPUs above 0")
    if args.ray is None and (args.workers is not None or args.gpu):
        raise UserError("--workers and --gpu are for Ray workers: add --ray local|auto|ADDRESS")
    for p in args.projects:
        if not Path(p).is_file():
            raise UserError(f"{short(p)}: no such project file")
    settings = indextts2_settings(args)
    settings.to_env()
    options = ExportOptions.make(args.loudness, args.true_peak, args.sample_rate, args.bit_depth,
                                 1 if args.mono else 2)
    from cli.progress import StepProgress

    progress = StepProgress("batch", unit="lines", prefix="dubline: ")
    if args.ray is not None:
        from project.cluster import RayRunner, ray_module

        ray_module()  # not installed: one line saying how, before anything is loaded

        def runner(backend):
            return RayRunner(backend, args.ray, args.workers, args.cpus_per_worker, args.gpu, settings,
                             note=progress.message)
    else:
        from project.batch import LocalRunner

        def runner(backend):
            return LocalRunner(backend, settings, note=progress.message)

    from project.batch import run_batch

    try:
        summary = run_batch(args.projects, Path(args.out), formats, runner, backend=args.backend, options=options,
                            consent=args.consent, force=args.force, note=progress.message, step=progress.step)
    finally:
        progress.close()
    for p in summary.outputs:
        print(p)
    for line in summary.text():
        print(f"dubline: {line}", file=sys.stderr)
    return EXIT_USER_ERROR if summary.failed or summary.interrupted else 0
