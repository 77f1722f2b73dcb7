"""Storage keys, upload safety, derivatives and `pop images` (add, build)."""
from __future__ import annotations

import struct
import zlib

import pytest
import pyvips
from django.core.management import CommandError, call_command

from pop.catalog.models import Record, Revision
from pop.catalog import service
from pop.iiif import derivatives, safety
from pop.iiif.storage import InvalidKey, image_key, normalise_key

from .conftest import jpeg_bytes, png_bytes, url


@pytest.mark.parametrize("bad", ["", "/", "../etc/passwd", "a/../../b", "a//b", "a/./b", "a\\..\\b", "a\x00b",
                                 "a/b\nc", "a/ b", "x" * 2000])
def test_normalise_key_refuses_escapes(bad):
    with pytest.raises(InvalidKey):
        normalise_key(bad)


def test_normalise_and_pop_naming():
    assert normalise_key("/memoire/AP1/x.jpg/") == "memoire/AP1/x.jpg"
    assert image_key("joconde", "000PE001028", "C:\\Photos\\Vue générale (1).JPG") == "joconde/000PE001028/vue-generale-1.jpg"
    assert image_key("memoire", "AP 1/..", "../../x.png") == "memoire/AP_1_/x.png"


def test_storage_round_trip_and_root(media, tmp_path):
    media.put("memoire/AP1/a.jpg", b"data")
    assert media.exists("memoire/AP1/a.jpg") and not media.exists("memoire/AP1/b.jpg")
    assert media.open("memoire/AP1/a.jpg").read() == b"data"
    assert media.path("memoire/AP1/a.jpg") == tmp_path / "media" / "memoire" / "AP1" / "a.jpg"
    assert list(media.keys()) == ["memoire/AP1/a.jpg"]
    assert not media.exists("../secret")


def test_symlink_out_of_the_root_is_refused(media, tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.jpg").write_bytes(jpeg_bytes(10, 10))
    (tmp_path / "media" / "memoire").mkdir(parents=True)
    (tmp_path / "media" / "memoire" / "lien").symlink_to(tmp_path / "outside")
    with pytest.raises(InvalidKey):
        media.path("memoire/lien/x.jpg")
    assert not media.exists("memoire/lien/x.jpg")


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = zlib.compress(b"\x00" * 1024)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def test_content_is_sniffed_not_the_name(settings):
    assert safety.check_image_bytes(png_bytes(50, 40)).format == "png"
    assert safety.check_image_bytes(jpeg_bytes(50, 40)).format == "jpeg"
    webp = pyvips.Image.black(20, 10).webpsave_buffer()
    assert safety.check_image_bytes(webp).format == "webp"
    tif = pyvips.Image.black(20, 10).tiffsave_buffer()
    assert safety.check_image_bytes(tif).format == "tiff"


@pytest.mark.parametrize("data,message", [
    (b"", "vide"),
    (b"%PDF-1.4 not an image", "n'est pas une image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "n'est pas une image"),
    (b"GIF89a" + b"\x00" * 50, "n'est pas une image"),
])
def test_refused_contents(data, message):
    with pytest.raises(safety.UnsafeImage, match=message):
        safety.check_image_bytes(data)


def test_corrupt_and_truncated_files():
    data = jpeg_bytes(400, 300)
    with pytest.raises(safety.UnsafeImage, match="corrompu"):
        safety.check_image_bytes(data[: len(data) // 2])
    with pytest.raises(safety.UnsafeImage, match="corrompu"):
        safety.check_image_bytes(b"\xff\xd8\xff\xe0" + b"\x13" * 500)


def test_decompression_bomb_is_refused_before_decoding():
    bomb = png_bomb(60_000, 60_000)               # 3.6 billion pixels in a 100-byte file
    assert len(bomb) < 200
    with pytest.raises(safety.UnsafeImage, match="trop grande"):
        safety.check_image_bytes(bomb)


def test_size_and_pixel_limits_are_settings(settings):
    settings.POP_IIIF_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(safety.UnsafeImage, match="trop volumineux"):
        safety.check_image_bytes(jpeg_bytes(400, 300))
    settings.POP_IIIF_MAX_UPLOAD_BYTES = 10**9
    settings.POP_IIIF_MAX_PIXELS = 100_000
    with pytest.raises(safety.UnsafeImage, match="trop grande"):
        safety.check_image_bytes(jpeg_bytes(400, 300))


def test_derivative_is_a_tiled_pyramid(media):
    media.put("memoire/AP1/x.jpg", jpeg_bytes(3000, 2000))
    derivatives.build("memoire/AP1/x.jpg")
    meta = derivatives.info("memoire/AP1/x.jpg")
    assert meta["levels"][0] == [3000, 2000] and meta["levels"][1] == [1500, 1000]
    tif = pyvips.Image.tiffload(str(derivatives.pyramid_path("memoire/AP1/x.jpg")))
    assert tif.get("n-pages") == len(meta["levels"]) >= 4
    assert tif.get("tile-width") == 256 if "tile-width" in tif.get_fields() else True
    thumb = pyvips.Image.new_from_file(str(derivatives.thumb_path("memoire/AP1/x.jpg")))
    assert max(thumb.width, thumb.height) == derivatives.THUMB_SIZE
    assert derivatives.is_current("memoire/AP1/x.jpg")


def test_build_missing_and_command(media, capsys):
    media.put("memoire/AP1/x.jpg", jpeg_bytes(300, 200))
    media.put("memoire/AP2/y.png", png_bytes(300, 200))
    media.put("memoire/AP3/bad.jpg", b"\xff\xd8\xffcorrupt")
    assert derivatives.build_missing(progress=False) == 2          # the corrupt one is reported, skipped
    assert derivatives.build_missing(progress=False) == 0
    call_command("images", "build", "--force", "--no-progress")
    assert "2 dérivé(s) construit(s)" in capsys.readouterr().out
    media.put("memoire/AP4/z.jpg", jpeg_bytes(300, 200))
    call_command("images", "build", "--missing")
    assert "1 dérivé(s)" in capsys.readouterr().out


@pytest.mark.django_db
def test_images_add_attaches_through_the_write_service(media, tmp_path, client):
    service.save("memoire", {"REF": "AP00000100", "LEG": "Sans image", "COPY": "© X"}, actor="test")
    f = tmp_path / "Vue de la façade.JPG"
    f.write_bytes(jpeg_bytes(640, 480))
    call_command("images", "add", str(f), "--base", "memoire", "--ref", "AP00000100")
    rec = Record.objects.get(base="memoire", ref="AP00000100")
    assert rec.data["IMG"] == "memoire/AP00000100/vue-de-la-facade.jpg"
    assert rec.data["CONTIENT_IMAGE"] == "oui"
    assert Revision.objects.filter(record=rec).count() == 2          # history sees the change
    assert derivatives.is_current(rec.data["IMG"])
    assert client.get(url(rec.data["IMG"])).json()["width"] == 640
    # Joconde (multi-valued IMG): appended, a second file with the same name gets another key
    service.save("museo", {"REF": "M0002", "NOMOFF": "Musée"}, actor="test")
    service.save("joconde", {"REF": "000PE000100", "INV": "1", "MUSEO": "M0002", "DOMN": ["peinture"],
                             "STAT": ["propriété de l'État"], "TITR": "Tableau"}, actor="test")
    call_command("images", "add", str(f), "--base", "joconde", "--ref", "000PE000100")
    call_command("images", "add", str(f), "--base", "joconde", "--ref", "000PE000100")
    assert Record.objects.get(base="joconde", ref="000PE000100").data["IMG"] == [
        "joconde/000PE000100/vue-de-la-facade.jpg", "joconde/000PE000100/vue-de-la-facade-2.jpg"]


@pytest.mark.django_db
def test_images_add_refusals(media, tmp_path):
    service.save("memoire", {"REF": "AP00000101", "LEG": "x"}, actor="test")
    service.save("merimee", {"REF": "PA00000101", "TICO": "Église"}, actor="test")
    good = tmp_path / "ok.jpg"
    good.write_bytes(jpeg_bytes(100, 100))
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"this is not an image")
    bomb = tmp_path / "bombe.png"
    bomb.write_bytes(png_bomb(50_000, 50_000))
    cases = [
        ([str(good), "--base", "merimee", "--ref", "PA00000101"], "notice Mémoire"),
        ([str(good), "--base", "memoire", "--ref", "AP99999999"], "introuvable"),
        ([str(good), "--base", "nulle", "--ref", "X"], "n'existe pas"),
        ([str(bad), "--base", "memoire", "--ref", "AP00000101"], "n'est pas une image"),
        ([str(bomb), "--base", "memoire", "--ref", "AP00000101"], "trop grande"),
        ([str(tmp_path / "absent.jpg"), "--base", "memoire", "--ref", "AP00000101"], "introuvable"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError, match=message):
            call_command("images", "add", *args)
    assert list(media.keys()) == []                                  # nothing partial stored
    assert "IMG" not in Record.objects.get(base="memoire", ref="AP00000101").data
