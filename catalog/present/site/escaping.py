"""Autoescape as Jinja2 writes it, without a ``Markup`` object for every value a page shows.

With autoescape on, Jinja2 compiles each ``{{ value }}`` of a template to
``markupsafe.escape(value)``, which wraps every escaped text in a new ``Markup`` — a Python-level
``str`` subclass constructor. A course page shows some thirty values and a site has a page per
course, so those wrappers cost more than the rest of rendering the page. The text written is all
that matters there: :class:`EscapingCodeGenerator` (Jinja2's documented
``Environment.code_generator_class`` hook) compiles the same ``{{ value }}`` to
:func:`escape_text`, which writes the same characters as a plain ``str``.

Filters, macros and ``|e`` are untouched: they still give ``Markup``, and what a template
concatenates or passes on stays markup-aware. A test renders the site's templates both ways and
compares the bytes.
"""

from __future__ import annotations

from typing import Any

from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Expr, Template

__all__ = ["EscapingCodeGenerator", "escape_text"]


def _escape_replacing(text: str) -> str:
    """``& < > ' "`` escaped as markupsafe escapes them (its own pure-Python way)."""
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


try:  # markupsafe's escaping itself (C, one pass), without the Markup wrapper: markupsafe ≥ 3.0
    from markupsafe import _escape_inner as _escape
except ImportError:  # pragma: no cover - another markupsafe: its documented output, in Python
    _escape = _escape_replacing


def escape_text(value: Any) -> str:
    """What ``markupsafe.escape(value)`` writes, as ``str``: markup (``__html__``) as it is,
    anything else as text with ``& < > ' "`` escaped."""
    if value.__class__ is str:
        return _escape(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return _escape(str(value))


class EscapingCodeGenerator(CodeGenerator):
    """Jinja2's code generator, writing :func:`escape_text` where it writes ``escape`` for an
    autoescaped output (see the module's docstring)."""

    def visit_Template(self, node: Template, frame: Frame | None = None) -> None:
        super().visit_Template(node, frame)
        # Module level, after Jinja2's own imports: the render functions find it when called.
        self.writeline("from catalog.present.site.escaping import escape_text")

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("escape_text(")
        if finalize.src is not None:
            self.write(finalize.src)
