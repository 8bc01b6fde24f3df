r"""TeX in arXiv titles made readable: accents and common symbol macros decoded to Unicode.

arXiv lists titles as their authors typed them in TeX: `R\'enyi`, `Schr\"odinger`, `C\^ote`, `Position \& Sample`.
A reader searches for "Rényi", so titles are decoded once, where a listing is read. Only what has one
meaning outside math is decoded: accents (`\'e`, `\'{e}`, `{\'e}`, `\c{c}`, `\'{\i}`), letters (`\ss`, `\o`,
`\aa`, `\l`, `{\deg}`, …) and escaped specials (`\&`, `\%`, `\_`, `\#`, `\$`, `\{`, `\}`). Math (`$…$`,
`$$…$$`, `\(…\)`) and any other macro stay exactly as written. The result is NFC.
"""

from __future__ import annotations

import re
import unicodedata

# Accent macros and the combining mark each puts on its argument.
_SIGN_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304"}
_SIGN_ACCENTS["."] = "\u0307"
_LETTER_ACCENTS = {
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
    "r": "\u030a",
    "k": "\u0328",
    "d": "\u0323",
    "b": "\u0331",
}
# Letter macros (a control word: it takes the spaces after it, or an empty `{}`).
_LETTERS = {
    "i": "ı",
    "j": "ȷ",
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "textdegree": "°",
    "deg": "°",
}
_SPECIALS = "&%_#${}"

_ARG = r"(?:\\[ij](?![A-Za-z])(?:\{\})?|[A-Za-z])"  # what an accent goes on: a letter, or a dotless i or j
_TOKEN = re.compile(
    r"(?P<escaped>\\\\)"
    rf"|\\(?P<special>[{re.escape(_SPECIALS)}])"
    r"|(?P<math>\$\$.+?\$\$|\$(?:[^$\\]|\\.)+?\$|\\\(.+?\\\))"
    rf"|(?P<open>\{{)?\\(?:(?P<sign>[{re.escape(''.join(_SIGN_ACCENTS))}])[ \t]*"
    rf"(?:\{{(?P<sign_arg>{_ARG})\}}|(?P<sign_bare>{_ARG}))"
    rf"|(?P<letter>[{''.join(_LETTER_ACCENTS)}])(?:[ \t]*\{{(?P<letter_arg>{_ARG})\}}|[ \t]+(?P<letter_bare>{_ARG})))"
    r"(?(open)\})"
    rf"|(?P<open_word>\{{)?\\(?P<word>{'|'.join(sorted(_LETTERS, key=len, reverse=True))})(?![A-Za-z])"
    r"(?(open_word)\}|(?:\{\}|[ \t]*))",
    re.DOTALL,
)


def _decode(found: re.Match[str]) -> str:
    if found["escaped"]:
        return found[0]
    if found["special"]:
        return found["special"]
    if found["word"]:
        return _LETTERS[found["word"]]
    if found["sign"]:
        mark, arg = _SIGN_ACCENTS[found["sign"]], found["sign_arg"] or found["sign_bare"]
    else:
        mark, arg = _LETTER_ACCENTS[found["letter"]], found["letter_arg"] or found["letter_bare"]
    return unicodedata.normalize("NFC", (arg[1] if arg.startswith("\\") else arg) + mark)


def decode(text: str) -> str:
    """`text` with TeX accents, letter macros and escaped specials outside math as Unicode, NFC; math
    (`$…$`, `$$…$$`, `\\(…\\)`) byte for byte as it was."""
    if "\\" not in text and "$" not in text:
        return unicodedata.normalize("NFC", text)
    out: list[str] = []
    plain: list[str] = []  # decoded text since the last math, normalised as one run
    last = 0
    for found in _TOKEN.finditer(text):
        plain.append(text[last : found.start()])
        last = found.end()
        if found["math"]:
            out += [unicodedata.normalize("NFC", "".join(plain)), found[0]]
            plain = []
        else:
            plain.append(_decode(found))
    plain.append(text[last:])
    return "".join([*out, unicodedata.normalize("NFC", "".join(plain))])
