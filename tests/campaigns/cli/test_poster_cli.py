"""`screening poster`: the PDF (A4, read back with pypdf) and the PNG (its QR code decoded by zbar, and
its modules read against the code segno makes for the address), in the community's language or the one
asked for; an unknown community, a missing public address and a bad language refused with the reason."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import segno
from PIL import Image
from pypdf import PdfReader

from campaigns.cli import main
from campaigns.console import posters, printing
from campaigns.settings import get_settings
from tests import apt
from tests.campaigns.engine_helpers import add, household

PUBLIC = "https://report.example.org"
FONT_PACKAGES = ("fonts-dejavu-core", "fonts-droid-fallback")


@pytest.fixture(scope="module")
def fonts():
    """A Unicode font and a CJK font, as a machine that prints has them; installed if missing."""
    found = printing.font_files()
    # The first CJK font printing looks for, a TrueType one: with only Noto CJK (a CFF collection,
    # which the browser tests install), pypdf reads fpdf2's Chinese back with a NUL before each character.
    if found.body is None or found.fallback != printing.FALLBACK_FONTS[0]:
        try:
            apt.install(*FONT_PACKAGES)
        except apt.AptError as error:
            pytest.fail(f"fonts for the posters could not be installed: {error}", pytrace=False)
        printing.font_files.cache_clear()
    return printing.font_files()


@pytest.fixture(scope="module")
def zbarimg():
    """zbar's decoder, installed if missing; None if it cannot be (the modules are still read)."""
    if shutil.which("zbarimg") is None:
        try:
            apt.install("zbar-tools")
        except apt.AptError:
            return None
    return shutil.which("zbarimg")


@pytest.fixture
def listed(db, monkeypatch, fonts):
    """Households of three communities: North Side mostly Mandarin, South mostly English, 东城区 Mandarin;
    a walk-in placed in a community no list names."""
    monkeypatch.setenv("SCREENING_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("SCREENING_OFFICE_NAME", "Riverside Health Office")
    monkeypatch.setenv("SCREENING_EMERGENCY_NUMBER", "112")
    get_settings.cache_clear()
    add(db, household("N1", "+14155550101", community="North Side", language="zh-CN"),
        household("N2", "+14155550102", community="North Side", language="cmn"),
        household("N3", "+14155550103", community="North Side", language="en"),
        household("S1", "+14155550104", community="South", language="en"),
        household("S2", "+14155550105", community="South", language="fr"),  # the bot does not speak it
        household("S3", "+14155550106", community="South", language="zh"),
        household("S4", "+14155550107", community="South", language="EN"),
        household("D1", "+14155550108", community="东城区", language="zh"),
        household("walkin-1", None, community="Atlantis", walk_in=True))
    return db


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pdf_text(path: Path) -> tuple[str, tuple[float, float]]:
    page = PdfReader(path).pages[0]
    return page.extract_text(), (round(float(page.mediabox.width)), round(float(page.mediabox.height)))


def png_modules(path: Path, size: int) -> list[list[int]]:
    """The QR code's modules as the PNG draws them (1 dark), read at each module's centre."""
    image = Image.open(path).convert("L")
    module = round(posters.QR_MM * posters.PX / size)
    left = (image.width - module * size) // 2
    column = [image.getpixel((left + module // 2, y)) < 128 for y in range(image.height)]
    # The top-left finder's left edge: the first run of 7 dark modules down the code's first column.
    top = next(y for y in range(image.height) if all(column[y:y + 7 * module]))
    return [[int(image.getpixel((left + x * module + module // 2, top + y * module + module // 2)) < 128)
             for x in range(size)] for y in range(size)]


def check_code(path: Path, url: str, zbarimg) -> None:
    expected = [list(row) for row in segno.make_qr(url, error="m").matrix]
    assert png_modules(path, len(expected)) == expected
    if zbarimg:
        decoded = subprocess.run([zbarimg, "--raw", "-q", str(path)], capture_output=True, text=True, timeout=60)
        assert decoded.stdout.strip() == url


def test_a_mandarin_communitys_poster(listed, tmp_path, capsys, zbarimg):
    code, out, err = run(capsys, "poster", "--community", "North Side", "--out", str(tmp_path / "posters"))
    assert (code, err) == (0, "")
    pdf, png = tmp_path / "posters" / "poster-North-Side-zh.pdf", tmp_path / "posters" / "poster-North-Side-zh.png"
    url = f"{PUBLIC}/report?c=North%20Side"
    assert out.splitlines() == [f"wrote {pdf} ({pdf.stat().st_size} bytes)", f"wrote {png} ({png.stat().st_size} bytes)",
                                f"the code opens {url} (Mandarin)"]
    text, size = pdf_text(pdf)
    assert size == (595, 842)  # A4 in points
    assert text.splitlines() == [
        "Riverside Health Office", "健康自查", "用手机上报体温和症状", "社区：North Side", f"或在浏览器中打开 {url}",
        "1. 用手机相机扫描二维码。", "2. 按提示回答家中每个人的体温和症状，大约两分钟。", "3. 需要药品、食物或就医？请点“我需要帮助”。",
        "免费，无需登录。您的回答只发给Riverside Health Office。", "紧急情况请拨打 112。"]
    assert Image.open(png).size == (1240, 1754)
    check_code(png, url, zbarimg)


def test_an_english_poster_for_a_chinese_named_community(listed, tmp_path, capsys, zbarimg):
    code, out, err = run(capsys, "poster", "--community", "东城区", "--language", "en", "--out", str(tmp_path / "out"))
    assert (code, err) == (0, "")
    url = f"{PUBLIC}/report?c=%E4%B8%9C%E5%9F%8E%E5%8C%BA"
    assert out.splitlines()[-1] == f"the code opens {url} (English)"
    text = " ".join(pdf_text(tmp_path / "out" / "poster-东城区-en.pdf")[0].split())
    for words in ("Health check", "Community: 东城区", f"Or open {PUBLIC}/report?c=东城区",
                  "Scan the code with your phone's camera.", "Press “I need help”.",
                  "Your answers go only to Riverside Health Office.", "In an emergency, call 112."):
        assert words in text
    check_code(tmp_path / "out" / "poster-东城区-en.png", url, zbarimg)


def test_the_language_most_households_speak_chooses(listed, tmp_path, capsys):
    assert run(capsys, "poster", "--community", "South", "--out", str(tmp_path / "out"))[0] == 0  # en 2, zh 1, fr none
    assert "Health check" in pdf_text(tmp_path / "out" / "poster-South-en.pdf")[0]
    assert run(capsys, "poster", "--community", "South", "--language", "zh-CN", "--out", str(tmp_path / "out"))[0] == 0
    assert "健康自查" in pdf_text(tmp_path / "out" / "poster-South-zh.pdf")[0]


def test_an_unknown_community_is_refused_naming_the_known_ones(listed, tmp_path, capsys):
    code, out, err = run(capsys, "poster", "--community", "North Sde", "--out", str(tmp_path / "out"))
    assert (code, out) == (1, "")
    assert err == ("screening: no community named 'North Sde'; did you mean 'North Side'? "
                   "Known communities: North Side, South, 东城区\n")
    code, _, err = run(capsys, "poster", "--community", "Atlantis", "--out", str(tmp_path / "out"))  # a walk-in's only
    assert (code, err) == (1, "screening: no community named 'Atlantis'. Known communities: North Side, South, 东城区\n")
    assert not (tmp_path / "out").exists()


def test_without_a_public_address_it_asks_for_one(listed, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SCREENING_PUBLIC_URL")
    get_settings.cache_clear()
    code, out, err = run(capsys, "poster", "--community", "South", "--out", str(tmp_path / "out"))
    assert (code, out) == (1, "")
    assert err == ("screening: SCREENING_PUBLIC_URL is not set: the poster needs the public address residents open "
                   "(give it with --url https://..., or set SCREENING_PUBLIC_URL)\n")
    assert not (tmp_path / "out").exists()
    code, out, _ = run(capsys, "poster", "--community", "South", "--url", "https://hd.example.cn/", "--out", str(tmp_path / "out"))
    assert code == 0 and out.splitlines()[-1] == "the code opens https://hd.example.cn/report?c=South (English)"


@pytest.mark.parametrize("argv", [["--language", "fr"], ["--url", "report.example.org"], []])
def test_bad_arguments_are_usage_errors(listed, tmp_path, capsys, argv):
    community = [] if not argv else ["--community", "South"]
    code, _, err = run(capsys, "poster", *community, *argv, "--out", str(tmp_path / "out"))
    assert code == 2 and "usage: screening poster" in err
    assert not (tmp_path / "out").exists()
