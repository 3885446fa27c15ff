"""Image files for upload tests, made with Pillow (real PNG and JPEG bytes, no fixtures on disk)."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin


def png(width: int = 120, height: int = 40, mode: str = "RGBA", padding: int = 0) -> bytes:
    """A PNG; ``padding`` adds that many bytes of text in a tEXt chunk (still a valid PNG)."""
    colour = (20, 90, 160, 255) if mode == "RGBA" else 1
    info = PngImagePlugin.PngInfo()
    if padding:
        info.add_text("Comment", "x" * padding)
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg(width: int = 120, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "JPEG", quality=85)
    return out.getvalue()


def gif(width: int = 20, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("P", (width, height)).save(out, "GIF")
    return out.getvalue()
