"""Uploads for handler tests: a throwaway media folder, small images, upload files."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
import reflex as rx
from PIL import Image

from marketplace_app.services import media
from marketplace_app.settings import settings


def temp_media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Send stored images to the test's own folder (for a module's media fixture).

    Returns:
        The media folder.
    """
    monkeypatch.setattr(media, "settings", dataclasses.replace(settings, upload_dir=tmp_path))
    return media.media_dir()


def image(fmt: str = "JPEG", colour=(30, 90, 200), mode: str = "RGB") -> bytes:
    """A small valid image file."""
    buf = io.BytesIO()
    Image.new(mode, (80, 60), colour).save(buf, fmt)
    return buf.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> rx.UploadFile:
    """``data`` as the browser's upload of a file called ``name``."""
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))
