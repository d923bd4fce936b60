"""What the ``dubline`` sub-commands share: the user-error type and exit code, the parser of a sub-command,
the IndexTTS2 options."""

from __future__ import annotations

import argparse

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def add_indextts2_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("IndexTTS2 (for --backend indextts2, or a project set to IndexTTS2)")
    g.add_argument("--checkpoints", metavar="DIR",
                   help="IndexTTS2 checkpoint folder (config.yaml, gpt.pth, s2mel.pth, ...); "
                        "default $DUBLINE_INDEXTTS2_CHECKPOINTS")
    g.add_argument("--hf-cache", metavar="DIR",
                   help="Hugging Face cache holding w2v-bert-2.0, MaskGCT, campplus and BigVGAN; "
                        "default $DUBLINE_INDEXTTS2_HF_CACHE")
    g.add_argument("--fp16", action=argparse.BooleanOptionalAction, default=None,
                   help="half precision on the GPU (default on)")
    g.add_argument("--indextts-python", metavar="PYTHON",
                   help="the Python of the IndexTTS2 environment (default .venv-indextts2)")


def indextts2_settings(args):
    from engine.indextts2.setup import IndexTTS2Settings

    return IndexTTS2Settings.from_env().merged(checkpoints=args.checkpoints, hf_cache=args.hf_cache,
                                               fp16=args.fp16, python=args.indextts_python)


def sub_parser(sub, parent: argparse.ArgumentParser, name: str, help_text: str) -> argparse.ArgumentParser:
    """A sub-command's parser whose errors read like the top level's (one line, exit code 2)."""
    x = sub.add_parser(name, help=help_text)
    x.error = parent.error  # type: ignore[method-assign]
    return x


def short(s: str) -> str:
    return s if len(s) <= 80 else "..." + s[-77:]
