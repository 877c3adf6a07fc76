"""One escaping function per output language, for every string a user controls.

Survey and codebook paths, codebook texts (theme labels, item texts), column, answer and type
labels and group names come from files a user writes, and reach three kinds of output: Markdown
shown by Jupyter and turned into HTML by nbconvert, HTML (tables, pages), and matplotlib text.
Each of them gives some characters a meaning: in Markdown a backtick ends a code span and
``<img src=x onerror=...>`` after it is live HTML; in HTML ``<`` starts a tag; MathJax, which
Jupyter and nbconvert's pages run over the whole page, typesets ``$...$``, ``\\(...\\)`` and
``\\begin{...}``; matplotlib parses ``$...$`` as mathtext, and malformed TeX (``$x^$``) makes a
figure fail to draw. A string built from user input goes through the one function of this
module for its output, so that it is shown as the very characters the user wrote and nothing
else:

- ``markdown_text``: running text in Markdown;
- ``markdown_code``: a code span in Markdown (paths), whatever backticks the text holds;
- ``html_text``: text content of an HTML element;
- ``mpl_text``: a matplotlib title, label, tick label or legend entry;
- ``spreadsheet_text``: a text cell of a downloaded CSV or XLSX.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and a
tab or carriage return before one of them is skipped by some importers): a codebook label
``=HYPERLINK("http://…","clic")`` would be a live link in a published table, and
``-2+3+cmd|' /C calc'!A0`` a command (OWASP, "CSV Injection"). ``spreadsheet_text`` puts an
apostrophe before such a text, which Excel and LibreOffice show as text and never evaluate;
numbers are never passed to it, so a negative number stays a number.

MathJax is neutralised by putting each ``$`` and ``\\`` alone in a ``<span>``: MathJax looks
for a delimiter pair within one run of text, and an element boundary ends the run, so no pair
can form, while the reader still sees the character. Code spans need nothing more: MathJax and
Jupyter's Markdown renderer skip ``<code>``.

The Jinja pages (``analyse.pipeline.publish``) escape by autoescaping and the tables by pandas'
own HTML escaping; ``analyse.report.notebook.setup`` marks pandas' tables for MathJax to skip.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Characters that end a line for Markdown (CommonMark knows \n and \r; Python's splitlines and
# some renderers know the others). A line break inside a label would let the rest of it start a
# new block (a heading, a list, an HTML block) where escaping inline markup does not reach.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
# The characters that make inline markup in CommonMark and GFM: code spans, emphasis,
# strikethrough, links and images, raw HTML and autolinks, table cells. Each is shown literally
# when backslash-escaped. Other punctuation is left as written, so that a sentence's Markdown
# source still reads as the sentence ("Verdict: negligible.", "±0.20").
_INLINE_MARKUP = frozenset("`*~[]<>|")
# Shown literally by Markdown and HTML alike, but alone in an element so MathJax cannot pair it;
# and "&" as an entity: nbconvert's Markdown renderer (mistune 3) loses the backslash before
# "&" after bold text and decodes the entity that follows (``**a** \&amp\;`` shows "&").
_MARKDOWN_REPLACEMENTS = {"$": "<span>\\$</span>", "\\": "<span>\\\\</span>", "&": "&amp;"}
_HTML_MATH_CHARACTERS = {"$": "<span>$</span>", "\\": "<span>\\</span>"}
# What starts a block when it opens a line: a heading, a list item, a thematic break, a setext
# underline, a quote (``>`` is escaped anyway). Its character is escaped at the start of a text.
_BLOCK_START = re.compile(r"[#+\-=]|\d+[.)]")
# Bare URLs become links in nbconvert's renderer (``https://...``) and in GFM (``www.``): the
# ":" of "://" and the "." of "www." are escaped, so a label is not made a link.
_AUTOLINK = re.compile(r"(:)//|(?i:\bwww)(\.)")
# What makes a spreadsheet read a text cell as a formula when it comes first (OWASP's list, with
# the full-width forms that Excel's East Asian input turns into the ASCII ones).
_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# the C0 control characters but tab, line feed and carriage return (those XLSX cannot store)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def one_line(text: object) -> str:
    """The text on one line: every run of line breaks becomes one space."""
    return _LINE_BREAKS.sub(" ", str(text))


def markdown_text(text: object) -> str:
    """``text`` as Markdown running text that renders as exactly these characters.

    Line breaks become spaces; the characters of inline markup are backslash-escaped (``*``,
    ``[``, ``<``, backticks ...), and so is ``_`` unless it is inside a word (where CommonMark
    never reads it as emphasis); ``&`` is written ``&amp;``, so no entity is decoded; ``$`` and
    ``\\`` are each wrapped in a ``<span>`` so that MathJax (Jupyter, nbconvert's pages) does not
    typeset ``$...$`` or ``\\(...\\)``. A text that starts like a block (``# ``, ``- ``, ``1. ``)
    has that character escaped, and leading spaces are entities (four would make code), so the
    result may also open a line. Bare URLs are not made links.
    """
    line = one_line(text)
    body = line.lstrip(" \t")
    lead = "".join(f"&#{ord(char)};" for char in line[: len(line) - len(body)])
    block = _BLOCK_START.match(body)
    marked = {block.end() - 1} if block else set()  # "#", "-", or the "." of "1."
    marked |= {m.start(1) if m.group(1) else m.start(2) for m in _AUTOLINK.finditer(body)}
    out = []
    for i, char in enumerate(body):
        if char in _MARKDOWN_REPLACEMENTS:
            out.append(_MARKDOWN_REPLACEMENTS[char])
        elif char in _INLINE_MARKUP or (char == "_" and not _inside_word(body, i)) or i in marked:
            out.append("\\" + char)
        else:
            out.append(char)
    return lead + "".join(out)


def _inside_word(text: str, i: int) -> bool:
    """Whether ``text[i]`` has a letter or digit on both sides (``a_b``): an underscore there
    neither opens nor closes emphasis in CommonMark."""
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def markdown_code(text: object) -> str:
    """``text`` as a Markdown code span showing exactly these characters, backticks included.

    A code span ends at the first run of backticks as long as the one that opened it, so the
    fence is one backtick longer than the longest run inside. CommonMark strips one space at each
    end when both ends have one; a space is added at each end when the text starts or ends with
    a backtick or a space, so that what is stripped is only that padding. Line breaks become
    spaces (a code span cannot hold them, and one could start a new block). Inside a code span
    nothing else is markup, and MathJax skips ``<code>``.
    """
    content = one_line(text)
    if not content:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    if content[0] in "` " or content[-1] in "` ":
        content = f" {content} "
    return f"{fence}{content}{fence}"


def html_text(text: object) -> str:
    """``text`` as the content of an HTML element (not an attribute value): ``<``, ``>``, ``&``
    and quotes as entities, ``$`` and ``\\`` each alone in a ``<span>`` for MathJax."""
    escaped = html.escape(str(text), quote=True)
    return "".join(_HTML_MATH_CHARACTERS.get(char, char) for char in escaped)


def mpl_text(text: object) -> str:
    """``text`` for a matplotlib title, label, tick label or legend entry: every ``$`` escaped.

    Matplotlib reads a string with an even number of unescaped ``$`` as mathtext, and
    malformed TeX (``$x^$``) raises when the figure is drawn. With every ``$`` escaped the
    string is not mathtext, and matplotlib shows ``\\$`` as ``$`` (``Text._preprocess_math``).
    Escape after wrapping a label into lines, not before: a wrapped word may be cut between the
    backslash and its ``$``.
    """
    return str(text).replace("$", "\\$")


def from_mpl_text(text: str) -> str:
    """What matplotlib shows for a string that ``mpl_text`` escaped: the user's characters, for
    a figure's text alternative (``analyse.report.notebook.figure_alt``)."""
    return text.replace("\\$", "$")


def spreadsheet_text(text: object) -> str:
    """``text`` for a text cell of a CSV or XLSX download: never read as a formula.

    A text whose first visible character starts a formula (``=``, ``+``, ``-``, ``@``, or a
    tab, carriage return or line feed, and their full-width forms) gets a leading apostrophe,
    OWASP's advice for CSV injection: Excel and LibreOffice show the rest as text. Spaces and
    invisible format characters (a right-to-left override, a zero-width space, a byte order
    mark) in front are looked through, since an importer may drop them. Any other text is
    returned as it is. Only text goes through here: a number is written as a number, so that
    −1.5 stays numeric.
    """
    # control characters (BEL, NUL, US...) have no place in a cell: an XLSX cannot hold them
    # (openpyxl refuses the whole workbook) and they would hide a formula behind them
    value = _CONTROL.sub("", str(text))
    for char in value:
        if char in _FORMULA_START:
            return "'" + value
        if not (char == " " or unicodedata.category(char) in {"Cf", "Zs"}):
            break
    return value
