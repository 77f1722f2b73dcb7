"""HEAD on an IIIF image URL answers the GET's headers without producing the image."""
from __future__ import annotations

import pytest

from pop.iiif import imageapi

from .conftest import url

pytestmark = pytest.mark.django_db


def test_head_answers_headers_without_rendering(client, free_image, monkeypatch):
    rendered = []
    real_render = imageapi.render
    monkeypatch.setattr(imageapi, "render", lambda *a, **k: rendered.append(a) or real_render(*a, **k))
    path = url(free_image, "full/120,/0/default.jpg")

    head = client.head(path)
    assert head.status_code == 200 and b"".join(head.streaming_content) == b""
    assert head["Content-Type"] == "image/jpeg"
    assert rendered == []                      # no pixel work for a HEAD
    assert "Content-Length" not in head        # not produced yet: length unknown

    get = client.get(path)
    assert get.status_code == 200 and len(rendered) == 1
    for header in ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Link", "Access-Control-Allow-Origin"):
        assert head[header] == get[header], header

    again = client.head(path)                  # once produced, HEAD also gives its length
    assert again["Content-Length"] == str(len(get.content)) and len(rendered) == 1
    assert client.head(path, HTTP_IF_NONE_MATCH=get["ETag"]).status_code == 304


def test_head_errors_match_get(client, free_image, private_image):
    for rest in ("full/max/0/default.jpg", "nonsense/max/0/default.jpg"):
        assert client.head(url(private_image, rest)).status_code == client.get(url(private_image, rest)).status_code
    assert client.head(url("memoire/AP99999999/absente.jpg", "full/max/0/default.jpg")).status_code == 404
    assert client.head(url(free_image, "full/0,0/0/default.jpg")).status_code == 400
