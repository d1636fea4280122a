"""Lesson text: the small HTML subset a lesson may use, and the sanitiser that enforces it (no Qt).

Qt's rich-text layout time grows exponentially with nesting (30 nested tables hang the
window) and long texts take minutes to lay out, so a lesson's text is never handed to Qt as
written: :func:`sanitise` keeps paragraphs, ``h3``/``h4`` headings, bold and italic, code,
lists and line breaks, drops every other tag (keeping its text), escapes the rest, caps the
nesting depth and the length. Links go nowhere outside the lesson: only ``#anchor`` targets
are kept.
"""

from __future__ import annotations

import html
import re

# A lesson file whose text is longer is refused (lessons.parse); the panel shows at most this.
MAX_TEXT_CHARS = 100_000
# Elements open at once; deeper tags are dropped and their text kept.
MAX_DEPTH = 8

ALLOWED_TAGS = frozenset({"p", "h3", "h4", "b", "i", "em", "strong", "code", "pre", "ul", "ol",
                          "li", "br", "a"})
_VOID = frozenset({"br"})
# Their content is not text a reader should see.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "textarea"})
# Possessive quantifiers never backtrack and ``[^<>]`` stops at the next "<", so matching at
# every "<" reads each character about once ("<" and 100,000 letters took 115 s otherwise).
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*+)([^<>]*+)>")
_ATTR = re.compile(
    r"""([A-Za-z_:][-A-Za-z0-9_:.]*+)\s*+=\s*+("[^"]*+"|'[^']*+'|[^\s"'=<>`]++)""")
_ANCHOR = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,63}")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _anchor_attrs(attrs: str) -> str:
    """Keep ``href="#name"`` and ``name="name"`` on a link; drop any other attribute."""
    kept: dict[str, str] = {}
    for key, raw in _ATTR.findall(attrs):
        value = html.unescape(raw[1:-1] if raw[:1] in "'\"" else raw)
        key = key.lower()
        if key == "href" and value.startswith("#") and _ANCHOR.fullmatch(value[1:]):
            kept.setdefault(key, value)
        elif key == "name" and _ANCHOR.fullmatch(value):
            kept.setdefault(key, value)
    return "".join(f' {k}="{v}"' for k, v in kept.items())


class _Finder:
    """``str.find`` that remembers its last answer, so repeated searches stay linear.

    Without it, text such as 25,000 unterminated ``<!--`` would search to the end 25,000
    times (Python's own html.parser takes 9 s on it).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.last: dict[str, int] = {}

    def find(self, needle: str, start: int) -> int:
        known = self.last.get(needle)
        if known is not None and (known == -1 or known >= start):
            return known
        found = self.text.find(needle, start)
        self.last[needle] = found
        return found


class _Writer:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.open: list[str] = []     # allowed elements written and not yet closed

    def data(self, text: str) -> None:
        if text:
            self.out.append(_escape(html.unescape(text).replace("\x00", "\ufffd")))

    def start(self, tag: str, attrs: str) -> None:
        if tag in _VOID:
            self.out.append(f"<{tag}>")
        elif len(self.open) < MAX_DEPTH:
            self.out.append(f"<{tag}{_anchor_attrs(attrs) if tag == 'a' else ''}>")
            self.open.append(tag)

    def end(self, tag: str) -> None:
        if tag not in self.open:
            return  # never opened, or dropped for depth
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def result(self) -> str:
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        return "".join(self.out)


def _clean(text: str) -> str:
    lower = _Finder(text.lower())
    w = _Writer()
    i = 0
    while i < len(text):
        lt = lower.find("<", i)
        if lt == -1:
            w.data(text[i:])
            break
        w.data(text[i:lt])
        i = lt
        if text.startswith("<!--", i):
            close = lower.find("-->", i + 4)
            i = len(text) if close == -1 else close + 3   # an unclosed comment hides the rest
            continue
        if text.startswith(("<!", "<?"), i):
            close = lower.find(">", i)
            if close == -1:
                w.data(text[i:])
                break
            i = close + 1                                  # doctype, CDATA, processing
            continue
        m = _TAG.match(text, i)
        if m is None:
            w.data("<")
            i += 1
            continue
        i = m.end()
        closing, tag, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
        if tag in _HIDDEN and not closing:
            close = lower.find(f"</{tag}", i)
            i = len(text) if close == -1 else close
        elif tag in ALLOWED_TAGS:
            if closing:
                w.end(tag)
            else:
                w.start(tag, attrs)
    return w.result()


def sanitise(text: str) -> str:
    """Return lesson ``text`` as the HTML subset the lesson panel shows.

    Parameters
    ----------
    text : str
        The lesson's text as written (HTML).

    Returns
    -------
    str
        Only the allowed tags, without attributes (links keep ``#anchor`` targets), at most
        :data:`MAX_DEPTH` deep, every other ``<``, ``>`` and ``&`` escaped, comments and the
        contents of scripts and styles dropped. A text longer than :data:`MAX_TEXT_CHARS` is
        cut there, with a note saying so. Time and output grow linearly with the text.
    """
    cut = len(text) - MAX_TEXT_CHARS
    out = _clean(text[:MAX_TEXT_CHARS] if cut > 0 else text)
    if cut > 0:
        out += (f"<p><i>(The last {cut:,} characters of this text are not shown: a lesson "
                f"text holds at most {MAX_TEXT_CHARS:,}.)</i></p>")
    return out
