"""The parse stage on hostile files: unknown types, empty and binary files, legacy encodings,
lying charsets, broken JSONL lines, gzip (good and truncated), size caps and folder walks."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storyline.errors import DecodeError, EmptyInputError, InputError, RecordError, UnsupportedInputError
from storyline.parse import find_input_files, read_file
from storyline.parse.decode import decode_text, read_bytes
from storyline.types import RawItem

INPUTS = Path(__file__).parent / "data" / "inputs"


def only_item(path: Path) -> RawItem:
    """The one raw item a single-article file holds."""
    items = list(read_file(path))
    assert len(items) == 1, items
    assert isinstance(items[0], RawItem), items[0]
    return items[0]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- whole files that cannot be used ---------------------------------------------------------


@pytest.mark.parametrize("name", ["report.pdf", "photo.JPG", "README", "archive.tar.gz", "data.json"])
def test_unknown_file_type_is_refused_naming_the_path(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, b"Title\nSome text that is not the point.\n")
    with pytest.raises(UnsupportedInputError) as caught:
        list(read_file(path))
    assert caught.value.subject == str(path)
    assert str(path) in str(caught.value)
    assert ".html" in caught.value.hint  # says what would have been accepted


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n\t\r\n  \n",
        b"\xef\xbb\xbf",  # only a UTF-8 byte-order mark
        b"\xff\xfe",  # only a UTF-16 byte-order mark
        b"\xff\xfe \x00\n\x00",  # UTF-16 white space
        "\u00a0\u3000\n\u2003".encode(),  # Unicode white space bytes.strip() does not see
    ],
    ids=["no-bytes", "ascii-space", "utf8-bom", "utf16-bom", "utf16-space", "unicode-space"],
)
@pytest.mark.parametrize("name", ["empty.txt", "empty.html", "empty.jsonl"])
def test_empty_and_whitespace_files_are_empty_input(tmp_path: Path, name: str, content: bytes) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(EmptyInputError) as caught:
        list(read_file(path))
    assert caught.value.subject == str(path)


def test_text_file_with_a_title_and_no_body_is_empty_input(tmp_path: Path) -> None:
    path = write(tmp_path / "one-line.txt", b"Just a headline\n\n")
    with pytest.raises(EmptyInputError, match="only one line"):
        list(read_file(path))


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,  # every byte value
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),  # an image renamed to .html
        b"<html><body><p>Looks like text\x00but holds a NUL byte</p></body></html>",
        b"%PDF-1.7\n\x00\x01\x02\x03 binary stream",
    ],
    ids=["all-bytes", "png", "nul-in-html", "pdf-bytes"],
)
def test_binary_bytes_are_a_decode_error(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path / "page.html", data)
    with pytest.raises(DecodeError) as caught:
        list(read_file(path))
    assert caught.value.subject == str(path)
    assert "binary" in caught.value.message


def test_decode_error_names_the_origin() -> None:
    with pytest.raises(DecodeError, match=r"^feed\.txt: "):
        decode_text(b"abc\x00def", "feed.txt")
    with pytest.raises(EmptyInputError, match=r"^feed\.txt: "):
        decode_text(b" \r\n ", "feed.txt")


def test_a_bom_that_lies_is_a_decode_error() -> None:
    # A UTF-16 BOM followed by an odd number of bytes cannot be UTF-16.
    with pytest.raises(DecodeError, match="byte-order mark"):
        decode_text(b"\xff\xfeA\x00B", "odd.txt")


# -- encodings -------------------------------------------------------------------------------


def test_latin1_text_file() -> None:
    item = only_item(INPUTS / "latin1.txt")
    assert item.text.splitlines()[0] == "Noël à Paris"
    assert item.text.splitlines()[1] == (
        "Le café où l'on fête Noël coûte très cher. Ça, c'est la réalité des Champs-Élysées."
    )


def test_cp1252_text_file_keeps_curly_quotes_dash_and_euro() -> None:
    item = only_item(INPUTS / "cp1252.txt")
    assert item.text.splitlines()[0] == "Prices rise again"
    assert item.text.splitlines()[1] == (
        "\u201cEverything costs more,\u201d she said \u2013 a coffee is now \u20ac4.50, "
        "and it\u2019s not getting cheaper."
    )


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("El niño está aquí. Año nuevo, señor.", "latin-1"),
        ("Noël à Paris: où est le café? Ça coûte très cher.", "latin-1"),
        ("A eleição de ontem foi decisiva: o candidato da oposição venceu em São Paulo.", "cp1252"),
        ("Die Förderung für Elektroautos wird verlängert. Größere Änderungen gibt es nicht.", "cp1252"),
        # Other legacy encodings must not be pulled to Windows-1252 by that preference.
        ("Zażółć gęślą jaźń. Rząd ogłosił w czwartek nowe przepisy dotyczące podatków.", "cp1250"),
        ("Vláda ve čtvrtek schválila nový zákon o daních, který vstoupí v platnost příští rok.", "cp1250"),
        ("Москва. Сегодня в столице прошёл большой митинг, в котором приняли участие тысячи.", "cp1251"),
        ("Η κυβέρνηση ανακοίνωσε σήμερα νέα μέτρα για την οικονομία.", "iso-8859-7"),
    ],
    ids=["es-latin1", "fr-latin1", "pt-cp1252", "de-cp1252", "pl-cp1250", "cs-cp1250", "ru-cp1251", "el"],
)
def test_short_legacy_text_is_detected(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding), "short.txt") == text


def test_utf16_with_bom() -> None:
    item = only_item(INPUTS / "utf16-bom.txt")
    assert item.text.splitlines()[0] == "Заголовок статьи"
    assert item.text.splitlines()[1] == "Текст статьи на русском языке, сохранённый в UTF-16."


def test_utf8_with_bom_loses_the_bom() -> None:
    item = only_item(INPUTS / "utf8-bom.txt")
    assert item.text.splitlines()[0] == "Título del artículo"  # no U+FEFF glued to the title
    assert item.text.splitlines()[1] == "El niño está aquí, con su señora madre."


def test_utf8_bom_before_a_jsonl_record(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.jsonl", b"\xef\xbb\xbf" + json.dumps({"text": "Caf\u00e9 au lait"}).encode())
    assert only_item(path).text == "Café au lait"


def test_html_declared_windows_1251_is_decoded_as_cyrillic() -> None:
    item = only_item(INPUTS / "cyrillic-cp1251.html")
    assert item.html is not None
    assert "В Москве открылась новая станция метро" in item.html
    assert "ещё десяти станций" in item.html


def test_html_that_lies_about_its_charset_is_read_as_utf8() -> None:
    # It declares iso-8859-1, but its bytes are valid UTF-8: decoding as declared would give "ZÃ¼rich".
    item = only_item(INPUTS / "lying-charset.html")
    assert item.html is not None
    assert "Zürich café reopens" in item.html
    assert "\u201cCafé Münster\u201d" in item.html
    assert "Ã" not in item.html


def test_html_declaring_latin1_holding_cp1252_quotes() -> None:
    # Browsers read "iso-8859-1" as windows-1252; as true latin-1 the quotes become C1 controls.
    page = (
        "<html><head><meta charset=iso-8859-1></head>"
        "<body><p>\u201cQuoted\u201d \u2013 café</p></body></html>"
    )
    decoded = decode_text(page.encode("cp1252"), "page.html", html=True)
    assert "\u201cQuoted\u201d \u2013 café" in decoded


def test_html_declaring_utf16_in_ascii_bytes_is_not_read_as_utf16() -> None:
    page = "<html><head><meta charset=utf-16></head><body><p>Señor</p></body></html>"
    decoded = decode_text(page.encode("latin-1"), "page.html", html=True)
    assert "<p>Señor</p>" in decoded


def test_html_with_an_unknown_declared_charset_still_decodes() -> None:
    page = "<html><head><meta charset=klingon-8></head><body><p>Plain café text</p></body></html>"
    assert "café" in decode_text(page.encode("utf-8"), "page.html", html=True)


# -- JSONL -----------------------------------------------------------------------------------


def test_jsonl_bad_lines_are_errors_naming_file_and_line_and_good_lines_still_yield() -> None:
    path = INPUTS / "records.jsonl"
    results = list(read_file(path))
    errors = {e.subject: e for e in results if isinstance(e, InputError)}
    items = {i.origin: i for i in results if isinstance(i, RawItem)}
    assert set(errors) == {f"{path}:{n}" for n in (2, 3, 4, 5, 6, 11)}
    assert set(items) == {f"{path}:{n}" for n in (1, 7, 8, 10)}  # line 9 is blank: neither
    assert all(isinstance(e, RecordError) for e in errors.values())
    for where, error in errors.items():
        assert str(error).startswith(where + ": ")

    assert "not JSON" in errors[f"{path}:2"].message
    assert "list" in errors[f"{path}:3"].message
    assert '"text"' in errors[f"{path}:4"].message
    assert '"title" must be a string' in errors[f"{path}:5"].message
    assert "the day before yesterday" in errors[f"{path}:6"].message
    assert "XYZ" in errors[f"{path}:11"].message  # an unknown zone is refused, not read as UTC

    first = items[f"{path}:1"]
    assert first.title == "Bridge reopens after repairs"
    assert first.url == "https://news.example.org/local/bridge-reopens/?utm_source=feed&utm_medium=rss"
    assert first.outlet == "Example News"
    assert first.authors == ("Ana Lima", "Tom Berg")
    assert first.published == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    # Unix seconds, an ISO time without a zone (UTC), an RSS-style date with a US zone:
    assert items[f"{path}:7"].published == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    naive = items[f"{path}:8"].published
    assert naive == datetime(2024, 5, 1, 14, 30, tzinfo=UTC)
    assert naive is not None
    assert naive.utcoffset() is not None
    assert items[f"{path}:10"].published == datetime(2024, 5, 1, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"text": "t", "published": true}', '"published" is not a date'),
        ('{"text": "t", "published": 1e30}', '"published" is not a date'),
        ('{"text": "t", "published": NaN}', '"published" is not a date'),
        ('{"text": "t", "published": "2024-13-45"}', '"published" is not a date'),
        ('{"text": "t", "published": "12"}', '"published" is not a date'),
        ('{"text": "t", "published": {"at": 1}}', '"published" is not a date'),
        ('{"text": "t", "authors": [1, 2]}', '"authors" must be'),
        ('{"text": ["a", "b"]}', '"text" must be a string'),
        ('{"text": "   "}', 'no "text"'),
        ("null", "not an object"),
        ('"just a string"', "not an object"),
        ('{"text": ' + "1" * 5000 + "}", "not usable JSON"),  # beyond Python's int digits limit
        ("[" * 100_000 + "]" * 100_000, "not usable JSON"),  # deeper than the recursion limit
    ],
    ids=["bool-date", "huge-epoch", "nan-date", "impossible-date", "bare-number-text", "object-date",
         "int-authors", "list-text", "blank-text", "null", "string", "huge-int", "deep-nesting"],
)
def test_jsonl_bad_record_is_one_error_and_the_file_goes_on(tmp_path: Path, line: str, expected: str) -> None:
    path = write(tmp_path / "feed.jsonl", (line + "\n" + '{"text": "still here"}\n').encode())
    first, second = list(read_file(path))
    assert isinstance(first, RecordError), first
    assert first.subject == f"{path}:1"
    assert expected in first.message
    assert isinstance(second, RawItem)
    assert second.text == "still here"
    assert second.origin == f"{path}:2"


def test_jsonl_lone_surrogates_are_replaced_so_text_can_be_stored(tmp_path: Path) -> None:
    line = '{"title": "Half \\ud83d a pair", "text": "Text \\udc00 here", "authors": ["A \\ud800"]}'
    item = only_item(write(tmp_path / "s.jsonl", line.encode()))
    for value in (item.title, item.text, *item.authors):
        assert value is not None
        value.encode("utf-8")  # raises on a lone surrogate
    assert item.title == "Half \ufffd a pair"


def test_jsonl_paired_surrogate_escape_is_one_character(tmp_path: Path) -> None:
    item = only_item(write(tmp_path / "e.jsonl", b'{"text": "Smile \\ud83d\\ude00"}'))
    assert item.text == "Smile \U0001f600"


def test_jsonl_with_only_blank_lines_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "blank.jsonl", b"\n  \n\t\n")
    with pytest.raises(EmptyInputError):
        list(read_file(path))


def test_jsonl_unknown_fields_are_ignored_and_sample_flag_read(tmp_path: Path) -> None:
    record = {"text": "Body", "title": "T", "sample": True, "extra": {"nested": [1, 2]}, "licence": "CC-BY"}
    item = only_item(write(tmp_path / "x.ndjson", json.dumps(record).encode()))
    assert item.is_sample is True
    assert item.licence == "CC-BY"


# -- gzip ------------------------------------------------------------------------------------


def test_jsonl_gz(tmp_path: Path) -> None:
    lines = [json.dumps({"title": f"Item {n}", "text": f"Body number {n}."}) for n in range(3)]
    path = write(tmp_path / "dump.jsonl.gz", gzip.compress("\n".join(lines).encode()))
    items = list(read_file(path))
    assert [i.title for i in items if isinstance(i, RawItem)] == ["Item 0", "Item 1", "Item 2"]
    assert [i.origin for i in items if isinstance(i, RawItem)] == [f"{path}:{n}" for n in (1, 2, 3)]


def test_html_gz(tmp_path: Path) -> None:
    page = (INPUTS / "cyrillic-cp1251.html").read_bytes()
    item = only_item(write(tmp_path / "page.HTML.GZ", gzip.compress(page)))
    assert item.html is not None
    assert "станция метро" in item.html


def test_truncated_gz_is_a_clear_input_error(tmp_path: Path) -> None:
    # Random-looking text does not compress to almost nothing, so cutting the stream loses data.
    body = "\n".join(json.dumps({"text": os.urandom(40).hex()}) for _ in range(200)).encode()
    compressed = gzip.compress(body)
    path = write(tmp_path / "cut.jsonl.gz", compressed[: len(compressed) // 2])
    with pytest.raises(InputError) as caught:
        list(read_file(path))
    assert caught.value.subject == str(path)
    assert "truncated" in str(caught.value)


def test_gz_suffix_on_plain_bytes_is_a_clear_input_error(tmp_path: Path) -> None:
    path = write(tmp_path / "fake.txt.gz", b"Title\nNot actually compressed.\n")
    with pytest.raises(InputError, match="cannot read the file"):
        list(read_file(path))


def test_empty_gz_is_empty_input(tmp_path: Path) -> None:
    path = write(tmp_path / "nothing.txt.gz", gzip.compress(b""))
    with pytest.raises(EmptyInputError):
        list(read_file(path))


# -- size cap --------------------------------------------------------------------------------


def test_read_bytes_refuses_a_file_over_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", b"x" * 101)
    with pytest.raises(InputError) as caught:
        read_bytes(path, limit=100)
    assert caught.value.subject == str(path)
    assert "larger than 100 bytes" in caught.value.message
    assert read_bytes(path, limit=101) == b"x" * 101


def test_read_bytes_limit_applies_to_the_decompressed_size(tmp_path: Path) -> None:
    # A small .gz that inflates past the cap (a tiny "zip bomb").
    path = write(tmp_path / "bomb.txt.gz", gzip.compress(b"a" * 1_000_000))
    assert path.stat().st_size < 10_000
    with pytest.raises(InputError, match="larger than"):
        read_bytes(path, limit=50_000)


def test_read_bytes_of_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        read_bytes(tmp_path / "gone.txt")


# -- folders ---------------------------------------------------------------------------------


def test_find_input_files_skips_hidden_and_unknown_types(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    wanted = [
        write(root / "a.html", b"<p>a</p>"),
        write(root / "b.TXT", b"B\nb"),
        write(root / "nested" / "deeper" / "c.jsonl.gz", gzip.compress(b"{}")),
        write(root / "d.md", b"# D\nd"),
    ]
    write(root / ".hidden.txt", b"H\nh")
    write(root / ".git" / "notes.txt", b"G\ng")
    write(root / "nested" / ".cache" / "page.html", b"<p>c</p>")
    write(root / "photo.png", b"\x89PNG")
    write(root / "report.pdf", b"%PDF")
    write(root / "noext", b"x")
    (root / "folder.html").mkdir()  # a folder with an importable name is not a file
    found = list(find_input_files([root]))
    assert found == sorted(wanted)


def test_find_input_files_yields_a_named_file_of_unknown_type(tmp_path: Path) -> None:
    path = write(tmp_path / "report.pdf", b"%PDF")
    assert list(find_input_files([path])) == [path]


def test_find_input_files_hidden_parent_of_the_named_folder_is_fine(tmp_path: Path) -> None:
    # Only entries inside the named folder count as hidden, not the folder's own location.
    root = tmp_path / ".config" / "inbox"
    page = write(root / "a.html", b"<p>a</p>")
    assert list(find_input_files([root])) == [page]


def test_find_input_files_missing_path_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "place"
    good = write(tmp_path / "ok.txt", b"T\nt")
    found = list(find_input_files([missing, good]))
    assert len(found) == 2
    error, path = found
    assert isinstance(error, InputError)
    assert error.subject == str(missing)
    assert path == good


def test_jsonl_one_bad_byte_is_that_line_only_and_accents_elsewhere_survive(tmp_path: Path) -> None:
    # Once, one \xff made the whole file decode as cp1252: "été" on line 3 became "Ã©tÃ©".
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"title": "First", "text": "A fine first line."}\n'
                     b'{"title": "Bad \xff byte", "text": "This line is not UTF-8."}\n'
                     + '{"title": "Un été", "text": "Un été chaud à Paris."}\n'.encode())
    results = list(read_file(path))
    assert isinstance(results[1], RecordError)
    assert "mixed.jsonl:2" in str(results[1])
    assert "0xff" in str(results[1])
    good = [r for r in results if isinstance(r, RawItem)]
    assert [r.title for r in good] == ["First", "Un été"]
    assert good[1].text == "Un été chaud à Paris."


def test_jsonl_record_over_the_cap_is_skipped_by_line_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl.gz"
    big = json.dumps({"title": "Huge", "text": "word " * 300_000})  # 1.5 MB of text
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write('{"title": "Before", "text": "Kept before."}\n' + big + "\n"
                     + '{"title": "After", "text": "Kept after."}\n')
    results = list(read_file(path, max_record_bytes=100_000))
    assert [r.title for r in results if isinstance(r, RawItem)] == ["Before", "After"]
    [error] = [r for r in results if isinstance(r, RecordError)]
    assert "huge.jsonl.gz:2" in str(error)
    assert "larger than" in str(error)
    assert "max_record_bytes" in str(error)


def test_jsonl_record_over_the_cap_at_the_end_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "tail.jsonl"
    path.write_text('{"title": "A", "text": "Kept."}\n' + json.dumps({"title": "B", "text": "x" * 5000}),
                    encoding="utf-8")
    results = list(read_file(path, max_record_bytes=1000))
    assert isinstance(results[0], RawItem)
    assert isinstance(results[1], RecordError)


def test_page_over_the_record_cap_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_text("<html><body><p>" + "word " * 1000 + "</p></body></html>", encoding="utf-8")
    with pytest.raises(InputError, match="max_record_bytes"):
        list(read_file(path, max_record_bytes=1000))


def test_folder_links_to_files_outside_the_folder_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwd.txt").write_text("root:x:0:0\nroot:/root:/bin/bash\n", encoding="utf-8")
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "real.txt").write_text("A title\nA real article inside the folder.\n", encoding="utf-8")
    (folder / "sub" / "inner.txt").write_text("Inner\nAn article in a subfolder.\n", encoding="utf-8")
    (folder / "leak.txt").symlink_to(outside / "passwd.txt")
    (folder / "linked-dir").symlink_to(outside, target_is_directory=True)
    (folder / "inside-link.txt").symlink_to(folder / "real.txt")  # a link within the folder is fine

    found = list(find_input_files([folder]))
    files = {p.name for p in found if isinstance(p, Path)}
    refused = [e for e in found if isinstance(e, InputError)]
    assert files == {"real.txt", "inner.txt", "inside-link.txt"}
    assert all("passwd" not in str(p) for p in found if isinstance(p, Path))
    assert any("leak.txt" in e.subject and "outside" in e.message for e in refused)
    # Named directly, a link is the user's choice.
    assert list(find_input_files([folder / "leak.txt"])) == [folder / "leak.txt"]
