#!/usr/bin/env python3
"""Subsets BIZ UDPGothic (Regular, Bold) for kaonin's screens.

Keeps: printable ASCII, JIS X 0208 rows 1-8 (symbols, kana, Latin, Greek, Cyrillic,
box drawing), JIS X 0208 level 1 kanji (rows 16-47), and every character used by
the text catalogs in assets/i18n/. Drops hinting and OpenType layout tables (fontdue
uses neither). The output is deterministic for a given font and fontTools version.

Usage (from the repository root):
    pip install fonttools==4.68.0
    python3 scripts/subset-fonts.py [SOURCE_DIR]
SOURCE_DIR defaults to /usr/share/fonts/truetype/bizud-gothic (Debian package
fonts-morisawa-bizud-gothic). Writes assets/fonts/BIZUDPGothic-{Regular,Bold}.ttf.
"""

import pathlib
import sys

from fontTools import subset

ROOT = pathlib.Path(__file__).resolve().parent.parent
FACES = ["BIZUDPGothic-Regular.ttf", "BIZUDPGothic-Bold.ttf"]


def jis_rows(first, last):
    """Characters of JIS X 0208 rows first..last (via EUC-JP)."""
    chars = set()
    for row in range(first, last + 1):
        for cell in range(1, 95):
            try:
                chars.add(bytes([0xA0 + row, 0xA0 + cell]).decode("euc_jp"))
            except UnicodeDecodeError:
                pass
    return chars


def wanted_codepoints():
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars |= jis_rows(1, 8)
    chars |= jis_rows(16, 47)
    chars |= {"\u3000", "\u25cf", "\u25cb", "\uff5e"}
    for catalog in sorted((ROOT / "assets" / "i18n").glob("*.toml")):
        chars |= set(catalog.read_text(encoding="utf-8"))
    return sorted(ord(c) for c in chars if c.isprintable() or c == "\u3000")


def main():
    source = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/bizud-gothic")
    unicodes = wanted_codepoints()
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    for face in FACES:
        font = subset.load_font(str(source / face), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        out = ROOT / "assets" / "fonts" / face
        subset.save_font(font, str(out), options)
        print(f"{out.relative_to(ROOT)}: {len(unicodes)} code points, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
