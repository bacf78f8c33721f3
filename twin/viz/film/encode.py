"""Writing frames as a film: MP4 (H.264) or GIF, whole or not at all.

MP4s are H.264 in yuv420p with the index at the front (``+faststart``), which browsers,
PowerPoint and phones play; the encoder is the ffmpeg that imageio-ffmpeg ships, fed RGBA
frames through a pipe (it runs in its own process, beside the renderer). GIFs are written
with Pillow on one palette of 255 colours (chosen from sample frames); each frame stores
only the box that changed, with unchanged pixels transparent, which keeps a film of dots
moving on a still map small. A GIF's frame delay is a whole number of hundredths of a
second.

Frames go to a hidden temporary file beside the target, which is renamed into place once the
film is complete: a reader never finds half a film.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import numpy as np

from twin._errors import TwinError

__all__ = ["FORMATS", "FilmWriter", "film_format"]

#: Film formats by file suffix.
FORMATS: dict[str, str] = {".mp4": "mp4", ".gif": "gif"}

_MAX_GIF_FPS = 50  # browsers slow down GIF frames shorter than 20 ms
_UNCHANGED = 255  # the GIF palette index of pixels that keep the previous frame's colour


def film_format(out: str | os.PathLike) -> str:
    """``"mp4"`` or ``"gif"`` from the suffix of ``out``.

    Raises
    ------
    TwinError
        For any other suffix.
    """
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise TwinError(f"{out}: cannot write a {suffix or 'suffix-less'} film; name it .mp4 (H.264) or .gif")
    return FORMATS[suffix]


class FilmWriter:
    """Frames in, a film file out. Use as a context manager; an error leaves no file.

    Parameters
    ----------
    out
        The film to write, ``.mp4`` or ``.gif``.
    width, height
        Frame size in pixels; even (H.264 in yuv420p needs it).
    fps
        Frames per second.
    crf
        H.264 quality (lower is better; 23 is ffmpeg's default).
    """

    def __init__(self, out: str | os.PathLike, *, width: int, height: int, fps: float, crf: int = 23) -> None:
        self.out = Path(out)
        self.kind = film_format(self.out)
        if width % 2 or height % 2 or width <= 0 or height <= 0:
            raise ValueError(f"frame size {width} x {height} must be positive and even")
        if not fps > 0:
            raise ValueError(f"`fps` must be positive, not {fps}")
        if self.kind == "gif" and fps > _MAX_GIF_FPS:
            raise TwinError(f"{self.out}: a GIF plays at most {_MAX_GIF_FPS} frames a second; lower --fps "
                            "(10 suits a GIF)")  # fmt: skip
        self.width, self.height, self.fps, self.crf = int(width), int(height), float(fps), int(crf)
        self.frames = 0
        self._temporary: Path | None = None
        self._encoder = None
        self._palette = None
        self._previous: np.ndarray | None = None
        self._file = None

    def __enter__(self) -> FilmWriter:
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TwinError(f"{self.out}: cannot write here ({error.strerror}); choose another --out") from None
        # A fresh name the encoder creates itself, with the usual permissions (mkstemp's
        # file would stay private to its owner).
        self._temporary = self.out.with_name(f".{self.out.stem}-{secrets.token_hex(6)}{self.out.suffix}")
        if self.kind == "mp4":
            import imageio_ffmpeg

            self._encoder = imageio_ffmpeg.write_frames(
                str(self._temporary), (self.width, self.height), pix_fmt_in="rgba", pix_fmt_out="yuv420p",
                fps=self.fps, codec="libx264", quality=None, macro_block_size=2, ffmpeg_log_level="error",
                output_params=["-crf", str(self.crf), "-preset", "veryfast", "-movflags", "+faststart"],
            )  # fmt: skip
            self._encoder.send(None)
        return self

    def palette_from(self, frames) -> None:
        """Choose a GIF's colours from sample frames (say, one by day and one by night); by
        default they come from the first frame. Ignored for MP4."""
        from PIL import Image

        if self.kind != "gif":
            return
        sample = np.concatenate([np.asarray(f)[:, :, :3] for f in frames], axis=0)
        # 255 colours: index 255 stays free to mark pixels that did not change.
        self._palette = Image.fromarray(sample).quantize(colors=255, method=Image.Quantize.FASTOCTREE,
                                                         dither=Image.Dither.NONE)  # fmt: skip

    def write(self, rgba) -> None:
        """Add one frame: ``height x width x 4`` RGBA bytes (a buffer or an array)."""
        if self.kind == "mp4":
            self._encoder.send(rgba)
        else:
            self._write_gif(np.asarray(rgba)[:, :, :3])
        self.frames += 1

    def _write_gif(self, rgb: np.ndarray) -> None:
        """Append a GIF frame: only the box that changed, unchanged pixels in it transparent.

        Frames are streamed to the file through Pillow's frame encoder (``getheader``,
        ``getdata``) rather than gathered for ``Image.save``, which holds every frame in memory.
        """
        from PIL import GifImagePlugin, Image

        if self._palette is None:
            self.palette_from([rgb])
        indices = np.asarray(Image.fromarray(rgb).quantize(palette=self._palette, dither=Image.Dither.NONE))
        delay = {"duration": round(self.frame_s * 1000), "transparency": _UNCHANGED, "disposal": 1}
        if self._previous is None:
            first = self._as_image(indices)
            header, _ = GifImagePlugin.getheader(first, info={"loop": 0, **delay})
            self._file = open(self._temporary, "wb")
            self._file.write(b"".join(header))
            box, patch = (0, 0), indices
        else:
            changed = indices != self._previous
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if rows.size == 0:  # nothing moved: one transparent pixel keeps the frame and its delay
                rows, cols = np.array([0]), np.array([0])
            y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            patch = np.where(changed[y0:y1, x0:x1], indices[y0:y1, x0:x1], _UNCHANGED).astype(np.uint8)
            box = (int(x0), int(y0))
        self._file.write(b"".join(GifImagePlugin.getdata(self._as_image(patch), offset=box, **delay)))
        self._previous = indices

    def _as_image(self, indices: np.ndarray):
        from PIL import Image

        height, width = indices.shape
        image = Image.frombytes("P", (width, height), np.ascontiguousarray(indices, dtype=np.uint8).tobytes())
        image.putpalette(self._palette.getpalette())
        return image

    @property
    def frame_s(self) -> float:
        """How long each frame shows (a GIF's delay is rounded to hundredths of a second)."""
        if self.kind == "gif":
            return max(2, round(100 / self.fps)) / 100
        return 1 / self.fps

    def __exit__(self, kind, error, trace) -> None:
        temporary, self._temporary = self._temporary, None
        try:
            if self.kind == "mp4":
                self._encoder.close()  # waits for ffmpeg to finish the file
            elif self._file is not None:
                if error is None:
                    self._file.write(b";")  # the GIF trailer
                self._file.close()
            if error is None:
                os.replace(temporary, self.out)
        finally:
            if temporary is not None and temporary.exists():
                temporary.unlink()

