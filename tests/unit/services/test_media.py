"""Image storage: renditions, metadata stripping and refusal of hostile uploads."""

import dataclasses
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw, ImageFile, PngImagePlugin

from marketplace_app.services import media
from marketplace_app.services.errors import ValidationFailed
from marketplace_app.settings import settings

PAYLOAD_MARKER = b"polyglot-payload-7f3c9a"


@pytest.fixture
def media_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(media, "settings", dataclasses.replace(settings, upload_dir=tmp_path))
    return media.media_dir()


def stored_files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def jpeg_bytes(img: Image.Image, **save_args) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **save_args)
    return buf.getvalue()


def png_bytes(img: Image.Image, **save_args) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **save_args)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bilevel_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG, compressed to a few kilobytes whatever its size."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def test_store_image_writes_three_capped_renditions(media_dir):
    stored = media.store_image(Image.new("RGB", (2000, 1500), (200, 120, 40)))
    assert stored.width == 1600 and stored.height == 1200
    sizes = {}
    for width in media.RENDITION_WIDTHS:
        path = media.rendition_path(stored.key, width)
        with Image.open(path, formats=["WEBP"]) as im:
            sizes[width] = im.size
    assert sizes == {320: (320, 240), 800: (800, 600), 1600: (1600, 1200)}
    assert [p.name for p in stored_files(media_dir)] == sorted(
        f"{stored.key}-{w}.webp" for w in media.RENDITION_WIDTHS
    )


def test_small_images_are_never_enlarged(media_dir):
    stored = media.store_image(Image.new("RGB", (500, 250), "white"))
    assert (stored.width, stored.height) == (500, 250)
    for width, expected in ((320, (320, 160)), (800, (500, 250)), (1600, (500, 250))):
        with Image.open(media.rendition_path(stored.key, width), formats=["WEBP"]) as im:
            assert im.size == expected


def test_transparency_is_kept(media_dir):
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((100, 100, 300, 300), fill=(255, 0, 0, 255))
    stored = media.store_image(img)
    with Image.open(media.rendition_path(stored.key, 320), formats=["WEBP"]) as im:
        assert im.mode == "RGBA"
        assert im.getpixel((2, 2))[3] == 0


def test_ingest_strips_exif_and_gps_and_applies_orientation(media_dir):
    # 1200x600 as stored by the camera, red in the top-left corner; Orientation=6
    # means "rotate 90 degrees clockwise to display", so upright it is 600x1200
    # with the red corner at the top right.
    img = Image.new("RGB", (1200, 600), (30, 60, 200))
    ImageDraw.Draw(img).rectangle((0, 0, 299, 149), fill=(230, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "SpyCam Inc"  # Make
    exif[0x0131] = "GeoTagger 1.0"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.25)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.5)
    data = jpeg_bytes(img, exif=exif.tobytes(), comment=b"shot at home")
    with Image.open(io.BytesIO(data)) as check:  # the fixture really carries GPS
        assert check.getexif().get_ifd(0x8825)[2] == (52.0, 31.0, 12.25)
        assert check.getexif()[0x0112] == 6

    stored = media.ingest_upload(data)

    assert (stored.width, stored.height) == (600, 1200)
    for width in media.RENDITION_WIDTHS:
        path = media.rendition_path(stored.key, width)
        raw = path.read_bytes()
        assert b"Exif" not in raw and b"EXIF" not in raw
        assert b"SpyCam" not in raw and b"GeoTagger" not in raw and b"shot at home" not in raw
        with Image.open(path, formats=["WEBP"]) as im:
            assert im.format == "WEBP"
            assert not im.getexif()
            assert not im.getexif().get_ifd(0x8825)
            for key in ("exif", "xmp", "icc_profile", "comment"):
                assert not im.info.get(key)
            w, h = im.size
            assert h == 2 * w  # rotated: portrait now
            rgb = im.convert("RGB")
            top_right = rgb.getpixel((w - 5, 5))
            top_left = rgb.getpixel((5, 5))
            assert top_right[0] > 150 and top_right[2] < 100
            assert top_left[2] > 150


def test_heic_from_a_phone_is_upright_and_loses_its_gps(media_dir):
    img = Image.new("RGB", (1200, 600), (30, 60, 200))
    ImageDraw.Draw(img).rectangle((0, 0, 299, 149), fill=(230, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SpyCam Inc"
    gps = exif.get_ifd(0x8825)
    gps[2] = (52.0, 31.0, 12.25)
    buf = io.BytesIO()
    img.save(buf, "HEIF", exif=exif.tobytes(), quality=90)
    data = buf.getvalue()
    assert data[4:12] == b"ftypheic"

    stored = media.ingest_upload(data)

    assert (stored.width, stored.height) == (600, 1200)
    raw = media.rendition_path(stored.key, 1600).read_bytes()
    assert b"Exif" not in raw and b"SpyCam" not in raw
    with Image.open(media.rendition_path(stored.key, 800), formats=["WEBP"]) as im:
        assert not im.getexif() and not im.info.get("exif")
        rgb = im.convert("RGB")
        assert rgb.getpixel((im.width - 5, 5))[0] > 150  # the red corner, top right


def test_truncated_heic_is_refused_and_leaves_nothing(media_dir):
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 10)).save(buf, "HEIF")
    with pytest.raises(ValidationFailed) as refused:
        media.ingest_upload(buf.getvalue()[: len(buf.getvalue()) // 2])
    assert refused.value.fields == {"photos": media.ERROR_CORRUPT}
    assert not media_dir.exists() or not any(media_dir.iterdir())


def test_ingest_accepts_png_and_webp(media_dir):
    img = Image.new("RGB", (640, 480), (10, 120, 10))
    for data in (png_bytes(img), _webp_bytes(img)):
        stored = media.ingest_upload(data)
        assert (stored.width, stored.height) == (640, 480)
    assert len(stored_files(media_dir)) == 6


def test_sixteen_bit_greyscale_keeps_its_tones(media_dir):
    img = Image.linear_gradient("L").resize((300, 200)).point(lambda v: v * 256, "I")
    stored = media.ingest_upload(png_bytes(img.convert("I;16")))
    with Image.open(media.rendition_path(stored.key, 320), formats=["WEBP"]) as im:
        grey = im.convert("L")
        assert grey.getpixel((10, 5)) < 30
        assert 100 < grey.getpixel((10, 100)) < 155
        assert grey.getpixel((10, 195)) > 225


@pytest.mark.parametrize(
    ("mode", "fmt", "expected"),
    [("1", "PNG", "RGB"), ("L", "PNG", "RGB"), ("LA", "PNG", "RGBA"), ("P", "PNG", "RGB")]
    + [("RGBA", "PNG", "RGBA"), ("CMYK", "JPEG", "RGB"), ("L", "JPEG", "RGB")],
)
def test_every_input_mode_becomes_rgb_or_rgba(media_dir, mode, fmt, expected):
    buf = io.BytesIO()
    Image.new(mode, (50, 40)).save(buf, fmt)
    stored = media.ingest_upload(buf.getvalue())
    with Image.open(media.rendition_path(stored.key, 800), formats=["WEBP"]) as im:
        assert im.mode == expected and im.size == (50, 40)


def _webp_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=80)
    return buf.getvalue()


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (64, 64)).save(buf, "GIF")
    return buf.getvalue()


def _svg() -> bytes:
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>x()</script></svg>'
    )


def _truncated_jpeg() -> bytes:
    img = Image.effect_noise((800, 600), 60).convert("RGB")
    data = jpeg_bytes(img)
    return data[: len(data) // 2]


def _garbage_after_magic() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20


def _too_many_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0" + b"\x00" * media.MAX_UPLOAD_BYTES


REFUSALS = {
    "gif": (_gif, "error.image_type"),
    "svg": (_svg, "error.image_type"),
    "empty": (lambda: b"", "error.image_type"),
    "truncated_jpeg": (_truncated_jpeg, "error.image_corrupt"),
    "garbage_png": (_garbage_after_magic, "error.image_corrupt"),
    # 400 MP: Pillow's own DecompressionBombError (above twice the limit) at open.
    "bomb_20000": (lambda: bilevel_png(20000, 20000), "error.image_too_many_pixels"),
    # 42 MP: only a warning for Pillow; the explicit size check must catch it.
    "bomb_7000": (lambda: bilevel_png(7000, 6000), "error.image_too_many_pixels"),
    "too_many_bytes": (_too_many_bytes, "error.image_too_large"),
}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refusals_leave_nothing_on_disk(media_dir, name):
    make, key = REFUSALS[name]
    data = make()
    if name.startswith("bomb"):
        assert len(data) < 200_000  # small file, huge canvas
    with pytest.raises(ValidationFailed) as caught:
        media.ingest_upload(data)
    assert caught.value.fields == {"photos": key}
    assert stored_files(media_dir) == []


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_pillow_bomb_warning_raised_as_error_is_a_refusal(media_dir):
    with pytest.raises(ValidationFailed) as caught:
        media.ingest_upload(bilevel_png(7000, 6000))
    assert caught.value.fields == {"photos": "error.image_too_many_pixels"}
    assert stored_files(media_dir) == []


def test_icc_profile_is_applied_and_dropped(media_dir):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = png_bytes(Image.new("RGB", (200, 100), (90, 160, 30)), icc_profile=srgb)
    stored = media.ingest_upload(data)
    with Image.open(media.rendition_path(stored.key, 320), formats=["WEBP"]) as im:
        assert "icc_profile" not in im.info
        r, g, b = im.convert("RGB").getpixel((100, 50))
        assert abs(r - 90) < 12 and abs(g - 160) < 12 and abs(b - 30) < 12


def test_truncated_images_are_not_loaded_leniently():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_polyglot_payload_never_reaches_storage(media_dir):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("index.html", b"<html><script>" + PAYLOAD_MARKER + b"</script></html>")
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "<html>" + PAYLOAD_MARKER.decode() + "</html>")
    png = png_bytes(Image.new("RGB", (300, 200), (250, 250, 250)), pnginfo=meta)
    data = png + archive.getvalue() + b"<html>" + PAYLOAD_MARKER + b"</html>"
    assert data.count(PAYLOAD_MARKER) == 3
    try:
        media.ingest_upload(data)
    except ValidationFailed:
        assert stored_files(media_dir) == []
        return
    files = stored_files(media_dir)
    assert len(files) == 3
    for path in files:
        assert PAYLOAD_MARKER not in path.read_bytes()
        assert not path.read_bytes().startswith(b"\x89PNG")


def test_a_failed_write_leaves_no_file(media_dir, monkeypatch):
    calls = []
    real_replace = media.os.replace

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(media.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="disk full"):
        media.store_image(Image.new("RGB", (900, 600), "white"))
    assert stored_files(media_dir) == []


def test_urls_srcset_and_delete(media_dir):
    stored = media.store_image(Image.new("RGB", (1000, 800), "white"))
    key = stored.key
    assert len(key) == 24
    assert media.url(key) == f"/media/{key}-800.webp"
    assert media.url(key, 320) == f"/media/{key}-320.webp"
    assert media.srcset(key) == (
        f"/media/{key}-320.webp 320w, /media/{key}-800.webp 800w, /media/{key}-1600.webp 1600w"
    )
    assert media.rendition_path(key, 1600) == media_dir / f"{key}-1600.webp"
    media.delete_image(key)
    assert stored_files(media_dir) == []
    media.delete_image(key)  # idempotent


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABCDEF" * 4, "", "0" * 23, "0" * 24 + "/x"])
def test_malformed_keys_are_rejected(media_dir, bad):
    with pytest.raises(ValueError):
        media.rendition_path(bad, 800)
    with pytest.raises(ValueError):
        media.url(bad)
    with pytest.raises(ValueError):
        media.delete_image(bad)


def test_unknown_width_is_rejected():
    with pytest.raises(ValueError):
        media.url("0" * 24, 640)
