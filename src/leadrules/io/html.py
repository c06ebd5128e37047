"""What the self-contained HTML pages (`leadrules report`, `leadrules calibrate`) share.

Charts are Vega-Lite specs drawn offline by vl-convert as SVG and put in the page itself, so a
page opens anywhere without requests. Templates ship inside the package and are rendered with
autoescape: names, codes and messages from rule files and lead data are escaped by the template
engine, never pasted raw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

__all__ = ["inline_svg_charts", "page_environment"]


def _svg(spec: dict[str, Any]) -> str:
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg


def inline_svg_charts(specs: dict[str, dict[str, Any]]) -> dict[str, Markup]:
    """Each chart spec by name drawn as SVG, marked safe to put in the page as it is."""
    from markupsafe import Markup

    # the SVG is drawn by vl-convert from the spec's data, which vl-convert escapes itself
    return {name: Markup(_svg(spec)) for name, spec in specs.items()}  # noqa: S704


def page_environment(package: str, *, compact_blocks: bool = False) -> jinja2.Environment:
    """A Jinja2 environment over `<package>/templates` that escapes every value and fails on unknown
    names. `compact_blocks`: a block tag's own line leaves no blank line or indentation behind
    (Jinja2's trim_blocks and lstrip_blocks), for templates written one tag per line."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=compact_blocks, lstrip_blocks=compact_blocks,
    )
