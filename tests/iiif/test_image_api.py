"""IIIF Image API 3.0 level 2 through Django's test client: every parameter form, headers, errors."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from .conftest import ident, url

pytestmark = pytest.mark.django_db


def get_image(client, key, rest, **headers):
    resp = client.get(url(key, rest), **headers)
    assert resp.status_code == 200, (rest, resp.status_code, resp.content[:200])
    return Image.open(io.BytesIO(resp.content)), resp


def near(pixel, colour, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(pixel, colour))


RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def test_info_json_fields(client, free_image):
    resp = client.get(url(free_image))
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json"
    assert resp["Access-Control-Allow-Origin"] == "*"
    assert 'rel="profile"' in resp["Link"]
    info = resp.json()
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["id"] == "http://testserver/iiif/3/memoire%2FAP00000001%2Fvue.jpg"
    assert info["type"] == "ImageService3"
    assert info["protocol"] == "http://iiif.io/api/image"
    assert info["profile"] == "level2"
    assert (info["width"], info["height"]) == (1200, 800)
    assert info["tiles"] == [{"width": 256, "height": 256, "scaleFactors": [1, 2, 4, 8]}]
    assert {"width": 600, "height": 400} in info["sizes"]
    assert set(info["extraQualities"]) == {"color", "gray", "bitonal"}
    assert "webp" in info["extraFormats"] and "png" in info["extraFormats"]
    assert "mirroring" in info["extraFeatures"] and "sizeUpscaling" in info["extraFeatures"]
    assert "maxWidth" not in info and "rights" not in info


def test_info_json_ld_negotiation(client, free_image):
    resp = client.get(url(free_image), HTTP_ACCEPT="application/ld+json")
    assert resp["Content-Type"].startswith("application/ld+json")
    assert 'profile="http://iiif.io/api/image/3/context.json"' in resp["Content-Type"]
    assert "Accept" in resp["Vary"]


def test_bare_identifier_redirects_to_info(client, free_image):
    resp = client.get(f"/iiif/3/{ident(free_image)}")
    assert resp.status_code == 303
    assert resp["Location"] == f"http://testserver/iiif/3/{ident(free_image)}/info.json"


@pytest.mark.parametrize("region,size,expected", [
    ("full", "max", (1200, 800)),
    ("square", "max", (800, 800)),
    ("0,0,600,400", "max", (600, 400)),
    ("600,400,1000,1000", "max", (600, 400)),          # clipped at the image edge
    ("pct:50,50,50,50", "max", (600, 400)),
    ("full", "300,", (300, 200)),
    ("full", ",200", (300, 200)),
    ("full", "pct:25", (300, 200)),
    ("full", "100,100", (100, 100)),                    # distorted
    ("full", "!300,300", (300, 200)),
    ("full", "!2000,100", (150, 100)),
    ("full", "^2400,", (2400, 1600)),
    ("full", "^,1600", (2400, 1600)),
    ("full", "^pct:150", (1800, 1200)),
    ("full", "^1500,1500", (1500, 1500)),
    ("full", "^!3000,1000", (1500, 1000)),
    ("full", "^max", (1200, 800)),
    ("0,0,256,256", "256,", (256, 256)),
    ("512,512,256,256", "128,", (128, 128)),
])
def test_regions_and_sizes(client, free_image, region, size, expected):
    img, _ = get_image(client, free_image, f"{region}/{size}/0/default.jpg")
    assert img.size == expected


def test_region_content_is_the_right_part(client, free_image):
    img, _ = get_image(client, free_image, "0,0,600,400/max/0/default.png")
    assert near(img.getpixel((300, 200)), RED)
    img, _ = get_image(client, free_image, "600,400,600,400/100,/0/default.png")
    assert near(img.getpixel((50, 30)), WHITE)
    img, _ = get_image(client, free_image, "pct:0,50,50,50/max/0/default.png")
    assert near(img.getpixel((10, 10)), BLUE)


def test_rotation_and_mirroring(client, free_image):
    img, _ = get_image(client, free_image, "full/max/90/default.png")
    assert img.size == (800, 1200)
    assert near(img.getpixel((700, 100)), RED)           # top-left goes to top-right
    img, _ = get_image(client, free_image, "full/max/180/default.png")
    assert near(img.getpixel((1100, 700)), RED)
    img, _ = get_image(client, free_image, "full/max/270/default.png")
    assert near(img.getpixel((100, 1100)), RED)
    img, _ = get_image(client, free_image, "full/max/!0/default.png")
    assert near(img.getpixel((1100, 100)), RED)          # mirrored: red on the right
    img, _ = get_image(client, free_image, "full/max/!90/default.png")
    assert img.size == (800, 1200)
    img, _ = get_image(client, free_image, "full/300,/45/default.png")
    assert img.size[0] > 300 and img.size[1] > 200       # bounding box of the rotated image
    assert img.mode == "RGBA" and img.getpixel((0, 0))[3] == 0   # transparent corners in PNG


def test_qualities(client, free_image):
    img, _ = get_image(client, free_image, "full/200,/0/gray.png")
    assert img.mode == "L"
    img, _ = get_image(client, free_image, "full/200,/0/bitonal.png")
    assert {value for _count, value in img.getcolors()} <= {0, 255}
    img, _ = get_image(client, free_image, "full/200,/0/color.jpg")
    assert img.mode == "RGB"
    img, _ = get_image(client, free_image, "full/200,/0/default.jpg")
    assert img.mode == "RGB"


@pytest.mark.parametrize("fmt,mime,magic", [
    ("jpg", "image/jpeg", b"\xff\xd8\xff"), ("png", "image/png", b"\x89PNG"),
    ("webp", "image/webp", b"RIFF"), ("gif", "image/gif", b"GIF8"), ("tif", "image/tiff", b"II*\x00"),
])
def test_formats(client, free_image, fmt, mime, magic):
    resp = client.get(url(free_image, f"full/100,/0/default.{fmt}"))
    assert resp.status_code == 200
    assert resp["Content-Type"] == mime
    assert resp.content.startswith(magic)


def test_canonical_link_and_caching_headers(client, free_image):
    resp = client.get(url(free_image, "full/pct:50/0/default.jpg"))
    assert f'<http://testserver/iiif/3/{ident(free_image)}/full/600,400/0/default.jpg>;rel="canonical"' in resp["Link"]
    assert resp["Access-Control-Allow-Origin"] == "*"
    assert resp["Cache-Control"].startswith("public, max-age=")
    etag, last_modified = resp["ETag"], resp["Last-Modified"]
    again = client.get(url(free_image, "full/pct:50/0/default.jpg"), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    since = client.get(url(free_image, "full/pct:50/0/default.jpg"), HTTP_IF_MODIFIED_SINCE=last_modified)
    assert since.status_code == 304
    info = client.get(url(free_image))
    assert client.get(url(free_image), HTTP_IF_NONE_MATCH=info["ETag"]).status_code == 304


def test_produced_tiles_are_cached_on_disk(client, free_image, settings):
    from pop.iiif import tilecache
    assert tilecache.usage()[0] == 0
    first = client.get(url(free_image, "0,0,256,256/256,/0/default.jpg")).content
    total, files = tilecache.usage()
    assert len(files) == 1 and total == len(first)
    assert client.get(url(free_image, "0,0,256,256/256,/0/default.jpg")).content == first


def test_tile_cache_is_bounded(client, free_image, settings):
    from pop.iiif import tilecache
    settings.POP_IIIF_CACHE_MAX_MB = 1
    tilecache._written_since_check = 0
    for w in range(100, 1200, 10):   # ~110 different renderings, several MB in all
        client.get(url(free_image, f"full/{w},/0/default.png"))
    total, _ = tilecache.usage()
    assert total <= 1024 * 1024 * 1.1


@pytest.mark.parametrize("rest,status", [
    ("full/max/0/default.jp2", 501),
    ("full/max/0/default.pdf", 501),
    ("full/max/0/default.xyz", 400),
    ("full/max/0/fancy.jpg", 400),
    ("full/max/0/default", 400),
    ("nonsense/max/0/default.jpg", 400),
    ("0,0,0,10/max/0/default.jpg", 400),
    ("5000,0,10,10/max/0/default.jpg", 400),           # entirely outside
    ("pct:101,0,10,10/max/0/default.jpg", 400),
    ("full/full/0/default.jpg", 400),                   # 2.x syntax, gone in 3.0
    ("full/0,/0/default.jpg", 400),
    ("full/1300,/0/default.jpg", 400),                  # upscaling without ^
    ("full/pct:120/0/default.jpg", 400),
    ("full/!2000,3000/0/default.jpg", 400),
    ("full/max/361/default.jpg", 400),
    ("full/max/-90/default.jpg", 400),
    ("full/max/abc/default.jpg", 400),
    ("full/^99999,99999/0/default.jpg", 400),           # beyond the server's output cap
])
def test_errors(client, free_image, rest, status):
    resp = client.get(url(free_image, rest))
    assert resp.status_code == status, (rest, resp.content)
    assert resp["Access-Control-Allow-Origin"] == "*"
    assert resp.content.decode().strip()               # a (French) message


@pytest.mark.parametrize("identifier", [
    "inconnu", "memoire%2FAP00000001%2Fautre.jpg", "..%2F..%2Fetc%2Fpasswd", "memoire%2F..%2F..%2Fsecret.jpg",
    "%2Fetc%2Fpasswd", "a%00b", "%FF%FE", "memoire%5C..%5Cx.jpg", "merimee%2FPA1%2Fx.jpg",
])
def test_unknown_or_unsafe_identifiers_are_404(client, free_image, identifier):
    for rest in ("info.json", "full/max/0/default.jpg"):
        resp = client.get(f"/iiif/3/{identifier}/{rest}")
        assert resp.status_code in (400, 404), (identifier, rest, resp.status_code)


def test_file_outside_the_media_root_is_never_served(client, free_image, media, tmp_path):
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(media.open(free_image).read())
    for ident_ in ("..%2Fsecret.jpg", "memoire%2F..%2F..%2Fsecret.jpg"):
        assert client.get(f"/iiif/3/{ident_}/info.json").status_code == 404


def test_options_preflight(client, free_image):
    resp = client.options(url(free_image))
    assert resp.status_code == 204
    assert resp["Access-Control-Allow-Origin"] == "*"


def test_head_request(client, free_image):
    resp = client.head(url(free_image, "full/100,/0/default.jpg"))
    assert resp.status_code == 200


def test_garbage_never_500(client, free_image):
    import random
    rnd = random.Random(7)
    alphabet = "abc!^,.:/%0123456789pctmaxfulsqure-_"
    for _ in range(300):
        parts = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12))) for _ in range(4)]
        resp = client.get(f"/iiif/3/{ident(free_image)}/" + "/".join(parts))
        assert resp.status_code < 500, parts


def test_missing_derivative_is_built_on_demand(client, free_image, settings):
    from pop.iiif import derivatives
    assert not derivatives.pyramid_path(free_image).exists()   # attached without building
    assert client.get(url(free_image)).status_code == 200
    derivatives.pyramid_path(free_image).unlink()
    resp = client.get(url(free_image))
    assert resp.status_code == 200
    assert derivatives.pyramid_path(free_image).exists()


def test_replaced_original_gets_a_fresh_derivative(client, free_image, media):
    from .conftest import jpeg_bytes
    assert client.get(url(free_image)).json()["width"] == 1200
    import os, time
    media.put(free_image, jpeg_bytes(500, 300))
    os.utime(media.path(free_image), (time.time() + 5, time.time() + 5))
    info = json.loads(client.get(url(free_image)).content)
    assert (info["width"], info["height"]) == (500, 300)


def test_images_are_not_gzipped_but_json_is(client, free_image):
    tile = client.get(url(free_image, "full/300,/0/default.jpg"), HTTP_ACCEPT_ENCODING="gzip")
    assert tile.status_code == 200 and not tile.has_header("Content-Encoding")
    assert tile.content.startswith(b"\xff\xd8")
    info = client.get(url(free_image), HTTP_ACCEPT_ENCODING="gzip")
    assert info["Content-Encoding"] == "gzip"


def test_thumbnail_helper(client, free_image, image_record):
    from pop.iiif.urls_helpers import iiif_thumbnail_url
    u = iiif_thumbnail_url(free_image, 200, 150)
    assert u == f"/iiif/3/{ident(free_image)}/full/!200,150/0/default.jpg"
    assert client.get(u).status_code == 200
    small = image_record("memoire", "AP00000009", "memoire/AP00000009/petite.jpg", jpeg_bytes_small(),
                         LEG="Petite", DIFF="oui")
    client.get(url(small))                                   # derivative built: size known
    u = iiif_thumbnail_url(small, 400)
    assert u.endswith("/full/max/0/default.jpg")
    img = Image.open(io.BytesIO(client.get(u).content))
    assert img.size == (120, 90)
    assert iiif_thumbnail_url("https://example.org/x.jpg", 100) == "https://example.org/x.jpg"
    assert iiif_thumbnail_url("", 100) == ""


def jpeg_bytes_small():
    from .conftest import jpeg_bytes
    return jpeg_bytes(120, 90)


def test_damaged_derivative_is_not_a_500(client, free_image):
    from pop.iiif import derivatives
    assert client.get(url(free_image)).status_code == 200
    derivatives.pyramid_path(free_image).write_bytes(b"II*\x00garbage")
    # the derivative looks current (same source) but cannot be read
    resp = client.get(url(free_image, "0,0,300,300/300,/0/default.jpg"))
    assert resp.status_code in (404, 503)
    assert resp.content.decode().strip()
