"""Story cards show the publisher's picture (og:image) when there is one, https only, and only with the setting.

Pages with og:image metas are imported into a fresh SQLite store (every stage on); the
home page is read through the real ASGI app.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from storyline.app import Storyline, make_app
from storyline.config import load_settings
from storyline.web import create_asgi

BODY = ("<p>The city council of Lyon approved a new tram line on Monday after a two-year consultation, the "
        "mayor's office said. The line will link the Part-Dieu station with the eastern suburbs and carry an "
        "expected 60,000 passengers a day when it opens in 2029.</p><p>Construction starts next spring and will "
        "close two bridges for several months, the transport authority warned, while shops along the route will "
        "be offered compensation for lost trade.</p>")
OTHER = ("<p>Iceland's Meteorological Office raised the aviation colour code for the Grindavik area to orange on "
         "Friday after a swarm of more than 800 small earthquakes. Geologists said magma was moving about four "
         "kilometres below the surface.</p><p>The Blue Lagoon spa closed for the weekend as a precaution and "
         "residents were told to prepare for a possible evacuation, civil protection officials said.</p>")


def page(title: str, body: str, image: str) -> str:
    return (f'<!doctype html><html lang="en"><head><title>{html.escape(title)}</title>'
            f'<meta property="og:title" content="{html.escape(title)}">'
            f'<meta property="og:image" content="{html.escape(image)}">'
            '<meta property="article:published_time" content="2026-11-30T08:00:00Z"></head>'
            f"<body><article><h1>{html.escape(title)}</h1>{body}</article></body></html>")


def app_with(tmp_path: Path, images: str, pages: dict[str, tuple[str, str, str]]) -> Storyline:
    folder = tmp_path / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, body, image) in pages.items():
        (folder / f"{name}.html").write_text(page(title, body, image), encoding="utf-8")
    app = make_app(load_settings({"home": str(tmp_path / "home"), "load_sample": "false", "images": images},
                                 environ={}))
    report = app.import_paths([folder])
    assert report.inserted == len(pages), report
    app.wait_for_stories()
    return app


def cards(text: str) -> list[str]:
    return re.findall(r'<li class="story-item[^"]*">.*?</li>\n', text, flags=re.S)


def test_a_card_shows_its_https_picture_without_a_referrer(tmp_path: Path) -> None:
    image = "https://images.example.org/lyon-tram.jpg?w=800&h=533"
    app = app_with(tmp_path, "true", {"tram": ("Lyon approves a new tram line", BODY, image),
                                      "quake": ("Iceland raises volcano alert", OTHER, "")})
    try:
        response = TestClient(create_asgi(app)).get("/")
        assert "img-src 'self' data: https:;" in response.headers["content-security-policy"]
        [tram] = [c for c in cards(response.text) if "tram line" in c]
        [quake] = [c for c in cards(response.text) if "volcano" in c]
        img = re.search(r"<img [^>]*>", tram)
        assert img, tram
        assert f'src="{html.escape(image)}"' in img.group()
        for attribute in ('alt=""', 'loading="lazy"', 'referrerpolicy="no-referrer"', 'width="160"'):
            assert attribute in img.group()
        assert "<img" not in quake
    finally:
        app.close()


@pytest.mark.parametrize("image", [
    "http://images.example.org/plain.jpg",  # mixed content on an https site
    "javascript:alert(1)",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "https://images.example.org/" + "a" * 3_000 + ".jpg",
])
def test_no_picture_but_an_https_one_of_sensible_length(tmp_path: Path, image: str) -> None:
    app = app_with(tmp_path, "true", {"tram": ("Lyon approves a new tram line", BODY, image)})
    try:
        text = TestClient(create_asgi(app)).get("/").text
        assert cards(text)
        assert "<img" not in text
        assert "alert(1)" not in text
    finally:
        app.close()


def test_the_setting_off_shows_no_picture_and_keeps_the_policy_strict(tmp_path: Path) -> None:
    app = app_with(tmp_path, "false", {"tram": ("Lyon approves a new tram line", BODY, "https://img.example/x.jpg")})
    try:
        response = TestClient(create_asgi(app)).get("/")
        assert "<img" not in response.text
        assert "https:" not in response.headers["content-security-policy"]
    finally:
        app.close()
