"""Issue 14: lesson text is a small sanitised HTML subset, bounded in length and depth."""

import time

import pytest

from convstudio import lessons as L
from convstudio.lesson_text import MAX_DEPTH, MAX_TEXT_CHARS, sanitise


@pytest.mark.parametrize("name", list(L.builtin_lessons()))
def test_builtin_lesson_texts_are_unchanged(name):
    text = L.builtin_lessons()[name].text
    assert sanitise(text) == text


def test_allowed_tags_are_kept_without_attributes():
    text = ('<h3 style="x">Head</h3><h4>Sub</h4><p class="a">A <b>b</b> <i>i</i> <em>e</em> '
            '<strong>s</strong> <code>c</code></p><pre>x  y</pre><ul><li>1</li></ul>'
            '<ol><li>2</li></ol>one<br>two<br/>')
    assert sanitise(text) == (
        "<h3>Head</h3><h4>Sub</h4><p>A <b>b</b> <i>i</i> <em>e</em> <strong>s</strong> "
        "<code>c</code></p><pre>x  y</pre><ul><li>1</li></ul><ol><li>2</li></ol>one<br>two<br>")


def test_links_keep_their_text_and_only_anchor_targets():
    out = sanitise('<a href="https://evil.example/x">out</a> <a href="file:///etc/passwd">f</a>'
                   ' <a href="#part-2" onclick="x()">in</a> <a name="part-2">here</a>')
    assert out == '<a>out</a> <a>f</a> <a href="#part-2">in</a> <a name="part-2">here</a>'


def test_other_tags_are_dropped_and_their_text_kept():
    out = sanitise('<table><tr><td>cell</td></tr></table><img src="x.png"><div>d</div>'
                   '<span style="font-size:900px">s</span><font size=7>f</font>')
    assert out == "celldsf"


def test_scripts_styles_and_comments_show_nothing():
    out = sanitise("a<script>alert(1)</script>b<style>p{color:red}</style>c<!-- hidden -->d"
                   "<!DOCTYPE html><?php x ?>e")
    assert out == "abcde"


def test_stray_markup_is_escaped():
    assert sanitise("1 < 2 & 3 > 2 <notatag") == "1 &lt; 2 &amp; 3 &gt; 2 &lt;notatag"
    assert sanitise("&lt;b&gt; &amp; &eacute;") == "&lt;b&gt; &amp; é"
    assert sanitise("</p></b>x") == "x"


def test_unclosed_tags_are_closed():
    assert sanitise("<p><b>bold") == "<p><b>bold</b></p>"
    assert sanitise("<ul><li>a<b>b</ul>c") == "<ul><li>a<b>b</b></li></ul>c"


@pytest.mark.parametrize("depth", [30, 5_000, 20_000])
def test_nesting_is_capped(depth):
    text = "<ul><li>" * depth + "deep" + "</li></ul>" * depth
    out = sanitise(text)
    assert out.count("<ul>") + out.count("<li>") == MAX_DEPTH
    assert out.count("</ul>") + out.count("</li>") == MAX_DEPTH
    if len(text) <= MAX_TEXT_CHARS:
        assert "deep" in out and out.count("<") == 2 * MAX_DEPTH
    else:
        assert "are not shown" in out


def test_long_text_is_cut_with_a_note():
    out = sanitise("x" * (MAX_TEXT_CHARS + 5))
    assert out.startswith("x" * MAX_TEXT_CHARS) and "The last 5 characters" in out


@pytest.mark.parametrize("text", [
    "<" * MAX_TEXT_CHARS, "<!--" * (MAX_TEXT_CHARS // 4), "</" * (MAX_TEXT_CHARS // 2),
    "<" + "a" * MAX_TEXT_CHARS, "<a " + 'x="' * (MAX_TEXT_CHARS // 3), "<!" * 50_000,
    "<script>" * 12_000, "<table><tr><td>" * 6_000, "&#" * 50_000,
], ids=["lt", "comments", "ends", "long-name", "quotes", "decls", "scripts", "tables", "refs"])
def test_pathological_texts_take_linear_time(text):
    # Python's html.parser took 9 s on the unclosed comments; a backtracking tag pattern took
    # minutes on the long name. A generous bound: a loaded CI machine must pass.
    start = time.perf_counter()
    out = sanitise(text)
    assert time.perf_counter() - start < 10
    assert "<script" not in out and "<table" not in out
