"""Image storage: validation of uploads, re-encoding, metadata stripping, renditions.

Every stored image gets a server-generated key and three WebP renditions under
``settings.upload_dir / "media"``::

    {key}-320.webp   {key}-800.webp   {key}-1600.webp

each at most that wide (never enlarged), aspect kept. The app serves that
folder at ``/media``. Nothing of the original file survives: pixels are decoded,
turned upright by their EXIF orientation, converted to sRGB, and encoded anew,
so EXIF, GPS, XMP, comments and anything appended to the file are gone.

Files are written under a temporary name and renamed into place, so a crash
never leaves a half-written rendition under a real name.

A form stores an upload's renditions at once and keeps only its key until
the form is sent (the sell form attaches it to its draft right away; a
refund request, a review, a chat photo or a shop logo only when sent). Keys
no row ever took are found by :func:`keys_stored_before` and pruned by the
jobs (:mod:`marketplace_app.jobs.media_prune`).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from marketplace_app.services.errors import ValidationFailed
from marketplace_app.settings import settings

RENDITION_WIDTHS = (320, 800, 1600)
WEBP_QUALITY = 80
UPLOAD_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# iPhones save HEIC; libheif applies its rotation and resets EXIF orientation to 1.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"})
pillow_heif.register_heif_opener()
# What upload inputs offer in the file chooser (the server checks the bytes anyway).
ACCEPT_TYPES = {
    "image/jpeg": [".jpg", ".jpeg"],
    "image/png": [".png"],
    "image/webp": [".webp"],
    "image/heic": [".heic"],
    "image/heif": [".heif"],
}
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_ICC_BYTES = 256 * 1024

# Pillow warns above this and refuses above twice this, at open time.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

ERROR_TYPE = "error.image_type"
ERROR_TOO_LARGE = "error.image_too_large"
ERROR_TOO_MANY_PIXELS = "error.image_too_many_pixels"
ERROR_CORRUPT = "error.image_corrupt"

_KEY_RE = re.compile(r"[0-9a-f]{24}")
_RENDITION_RE = re.compile(r"([0-9a-f]{24})-(?:320|800|1600)\.webp")
_TEMP_RE = re.compile(r"\.[0-9a-f]{24}-(?:320|800|1600)\.webp\.[0-9a-f]{8}\.tmp")
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class StoredImage:
    """An image in storage.

    Attributes:
        key: The storage key naming its renditions (24 hex characters).
        width: Width of the largest rendition (the upright image, at most 1600).
        height: Height of the largest rendition.
    """

    key: str
    width: int
    height: int


def media_dir() -> Path:
    """The folder holding every rendition (served at ``/media``)."""
    return settings.upload_dir / "media"


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValueError(f"not a media key: {key!r}")


def _check_width(width: int) -> None:
    if width not in RENDITION_WIDTHS:
        raise ValueError(f"no rendition {width!r}; use one of {RENDITION_WIDTHS}")


def rendition_path(key: str, width: int) -> Path:
    """Where one rendition of an image lives on disk.

    Args:
        key: A storage key.
        width: One of :data:`RENDITION_WIDTHS`.

    Returns:
        The file's path (which may not exist).

    Raises:
        ValueError: For a malformed key (it could escape the folder) or width.
    """
    _check_key(key)
    _check_width(width)
    return media_dir() / f"{key}-{width}.webp"


def url(key: str, width: int = 800) -> str:
    """The public URL of one rendition.

    Args:
        key: A storage key.
        width: One of :data:`RENDITION_WIDTHS`.

    Returns:
        For example ``"/media/0f3a...-800.webp"``.
    """
    _check_key(key)
    _check_width(width)
    return f"/media/{key}-{width}.webp"


def srcset(key: str) -> str:
    """An ``<img srcset>`` value listing every rendition with its width.

    Args:
        key: A storage key.

    Returns:
        ``"/media/k-320.webp 320w, /media/k-800.webp 800w, /media/k-1600.webp 1600w"``.
    """
    return ", ".join(f"{url(key, w)} {w}w" for w in RENDITION_WIDTHS)


def delete_image(key: str) -> None:
    """Remove every rendition of an image; missing files are fine.

    Args:
        key: A storage key.
    """
    for width in RENDITION_WIDTHS:
        rendition_path(key, width).unlink(missing_ok=True)


def keys_stored_before(moment: datetime) -> tuple[list[str], list[Path]]:
    """What the media folder holds that was written before ``moment``.

    Args:
        moment: an aware time.

    Returns:
        (keys whose every rendition is older than ``moment``, sorted;
        temporary files older than it, left behind by a crash mid-write).
        Files not named as this module names them are never listed.
    """
    cutoff = moment.timestamp()
    newest: dict[str, float] = {}
    strays: list[Path] = []
    try:
        entries = list(os.scandir(media_dir()))
    except FileNotFoundError:
        return [], []
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            written = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:  # deleted meanwhile
            continue
        found = _RENDITION_RE.fullmatch(entry.name)
        if found:
            key = found.group(1)
            newest[key] = max(written, newest.get(key, written))
        elif _TEMP_RE.fullmatch(entry.name) and written < cutoff:
            strays.append(Path(entry.path))
    return sorted(k for k, at in newest.items() if at < cutoff), strays


def _to_srgb(img: Image.Image, has_alpha: bool) -> Image.Image:
    """Convert an image carrying an ICC profile to sRGB; unchanged on any failure."""
    icc = img.info.get("icc_profile")
    if not icc or len(icc) > MAX_ICC_BYTES or img.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return img
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if img.mode == "RGBA":
            return ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGBA")
        if has_alpha:
            return img
        return ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img


def _normalize(img: Image.Image) -> Image.Image:
    """Upright, sRGB, RGB or RGBA pixels with no metadata at all.

    Args:
        img: Any decoded Pillow image (the first frame is used).

    Returns:
        A new image whose ``info`` is empty.
    """
    upright = ImageOps.exif_transpose(img)
    if upright.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit greyscale PNG: scale to 8 bits (a plain convert would clip to white).
        upright = upright.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    has_alpha = upright.has_transparency_data
    upright = _to_srgb(upright, has_alpha)
    mode = "RGBA" if has_alpha else "RGB"
    if upright.mode != mode:
        upright = upright.convert(mode)
    # A fresh image from raw pixels: no info dict, no EXIF, no ICC, no XMP.
    return Image.frombytes(mode, upright.size, upright.tobytes())


def _scaled(img: Image.Image, width: int) -> Image.Image:
    if width == img.width:
        return img
    height = max(1, round(img.height * width / img.width))
    return img.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(img: Image.Image, effort: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=WEBP_QUALITY, method=effort, exif=b"", xmp=b"")
    return buf.getvalue()


def _write_renditions(img: Image.Image, effort: int) -> StoredImage:
    """Encode and store the renditions of an already normalized image."""
    key = secrets.token_hex(12)
    directory = media_dir()
    directory.mkdir(parents=True, exist_ok=True)
    # Largest first; each smaller one is scaled from the previous (cheaper, same look).
    scaled: dict[int, Image.Image] = {}
    source = img
    for target in sorted(RENDITION_WIDTHS, reverse=True):
        source = scaled[target] = _scaled(source, min(target, source.width))
    encoded: dict[int, bytes] = {}
    written: list[Path] = []
    try:
        for target in RENDITION_WIDTHS:
            rendition = scaled[target]
            if rendition.width not in encoded:
                encoded[rendition.width] = _encode(rendition, effort)
            final = rendition_path(key, target)
            tmp = directory / f".{final.name}.{secrets.token_hex(4)}.tmp"
            written.append(tmp)
            with open(tmp, "xb") as fh:
                fh.write(encoded[rendition.width])
            os.replace(tmp, final)
            written[-1] = final
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    largest = scaled[RENDITION_WIDTHS[-1]]
    return StoredImage(key=key, width=largest.width, height=largest.height)


def store_image(img: Image.Image, *, effort: int = 4) -> StoredImage:
    """Store an image as WebP renditions under a new key, without any metadata.

    Args:
        img: A Pillow image (decoded by the caller, e.g. drawn or uploaded).
        effort: libwebp's method, 0 (fast) to 6 (smallest files).

    Returns:
        The new key and the size of its largest rendition.
    """
    return _write_renditions(_normalize(img), effort)


def _refuse(key: str) -> ValidationFailed:
    return ValidationFailed({"photos": key})


def _sniff(data: bytes) -> str | None:
    """The allowed format the file's first bytes announce, if any."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise _refuse(ERROR_CORRUPT)
    if width * height > MAX_PIXELS:
        raise _refuse(ERROR_TOO_MANY_PIXELS)


def _decode(data: bytes, expected: str) -> Image.Image:
    """Open, verify and fully decode an upload; refuse anything doubtful."""
    formats = list(UPLOAD_FORMATS)
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            # Phone cameras write MPO (a JPEG with extra frames): its first frame is used.
            if probe.format != expected and (probe.format, expected) != ("MPO", "JPEG"):
                raise _refuse(ERROR_TYPE)
            _check_pixels(probe.size)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=formats) as img:
            _check_pixels(img.size)
            if img.format in ("JPEG", "MPO"):
                # Decode large JPEGs at a reduced DCT scale: still >= 1600 px wide.
                side = RENDITION_WIDTHS[-1]
                img.draft("RGB", (side, side))
            img.load()
            return _normalize(img)
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(ERROR_TOO_MANY_PIXELS) from None
    except UnidentifiedImageError:
        raise _refuse(ERROR_CORRUPT) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError):
        raise _refuse(ERROR_CORRUPT) from None


def ingest_upload(data: bytes, *, effort: int = 4) -> StoredImage:
    """Validate a user's upload and store it re-encoded.

    Only JPEG, PNG, WebP and HEIC/HEIF are accepted, up to 15 MB and 40 megapixels. The
    file is checked by its first bytes, by Pillow's verifier and by a full
    decode (a truncated file fails); only the decoded pixels are kept.

    Args:
        data: The uploaded file's bytes.
        effort: libwebp's method, 0 (fast) to 6 (smallest files).

    Returns:
        The stored image.

    Raises:
        ValidationFailed: ``{"photos": key}`` with ``error.image_type``,
            ``error.image_too_large``, ``error.image_too_many_pixels`` or
            ``error.image_corrupt``; nothing is written to disk then.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(ERROR_TOO_LARGE)
    expected = _sniff(data)
    if expected is None:
        raise _refuse(ERROR_TYPE)
    return _write_renditions(_decode(bytes(data), expected), effort)
