"""A report's :class:`~sim.report.content.Content` as Markdown and as self-contained HTML.

The Markdown links the figures by their files in the result folder (``figures/*.png``). The
HTML embeds them as base64 PNG and carries its CSS inline: it refers to nothing outside
itself (no links, scripts, fonts or images to fetch), so it can be mailed or attached to a
change request as one file.
"""

from __future__ import annotations

import base64
import html

from sim.report.content import Block, Content, Image, SideBySide, Table

# --- Markdown ----------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "


def _md_table(table: Table) -> str:
    head = "| " + " | ".join(_md_cell(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join([head, rule, *rows])


def _md_block(block: Block) -> str:
    if isinstance(block, Table):
        return _md_table(block)
    if isinstance(block, SideBySide):
        return "\n\n".join(f"### {s.title}\n\n" + "\n\n".join(_md_block(b) for b in s.blocks)
                           for s in (block.left, block.right))
    if isinstance(block, Image):
        return f"### {block.title}\n\n![{block.title}]({block.file})\n\n{block.caption}"
    return block


def to_markdown(content: Content) -> str:
    """The report as Markdown (figures linked as ``figures/<name>.png``)."""
    parts = [f"# {content.title}", f"**{content.question}**"]
    if content.description:
        parts.append(content.description)
    parts.append("\n".join(f"- **{k}**: {v}" for k, v in content.facts))
    for section in content.sections:
        parts.append(f"## {section.title}")
        parts += [_md_block(b) for b in section.blocks]
    return "\n\n".join(parts) + "\n"


# --- HTML --------------------------------------------------------------------------------

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       color: #1d1d1f; background: #fff; margin: 0; line-height: 1.45; font-size: 15px; }
main { max-width: 960px; margin: 0 auto; padding: 24px 28px 48px; }
header { border-bottom: 3px solid #1f77b4; padding-bottom: 12px; margin-bottom: 8px; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #ddd;
     padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.question { font-size: 18px; font-weight: 600; margin: 6px 0; }
.description { color: #444; margin: 6px 0 10px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
           margin: 10px 0 0; font-size: 14px; }
dl.facts dt { color: #666; } dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 6px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
         border-bottom: 1px solid #e3e3e3; }
th { background: #f3f5f8; font-weight: 600; }
table.headline td:first-child { font-weight: 600; white-space: nowrap; }
table.headline td:nth-child(2) { text-align: right; white-space: nowrap;
                                 font-variant-numeric: tabular-nums; }
tr.miss td, tr.error td { background: #fde8e8; }
tr.miss td:last-child { color: #b00020; font-weight: 700; }
tr.warning td { background: #fff6dc; }
tr.set td, tr.changed td { background: #e8f1fb; }
table.numbers td:not(:first-child), table.numbers th:not(:first-child) { text-align: right;
       font-variant-numeric: tabular-nums; white-space: nowrap; }
td code { font-size: 12.5px; word-break: break-all; }
figure { margin: 10px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 13.5px; margin-top: 4px; }
footer { color: #888; font-size: 12px; margin-top: 36px; }
div.side { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
           gap: 0 22px; }
div.side table.headline td:first-child { white-space: normal; }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    rows = []
    for i, row in enumerate(table.rows):
        mark = table.mark(i)
        cells = "".join(f"<td>{_cell(table.columns[j], c)}</td>" for j, c in enumerate(row))
        rows.append(f'<tr class="{mark}">{cells}</tr>' if mark else f"<tr>{cells}</tr>")
    css = f' class="{table.kind}"' if table.kind else ""
    return f"<table{css}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _cell(column: str, text: str) -> str:
    return f"<code>{_e(text)}</code>" if column == "command" and text[:1] != "(" else _e(text)


def _html_block(block: Block) -> str:
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, SideBySide):
        return '<div class="side">' + "".join(
            f"<div><h3>{_e(s.title)}</h3>{''.join(_html_block(b) for b in s.blocks)}</div>"
            for s in (block.left, block.right)) + "</div>"
    if isinstance(block, Image):
        data = base64.b64encode(block.png).decode("ascii")
        return (f"<figure><img alt=\"{_e(block.title)}\" "
                f'src="data:image/png;base64,{data}"><figcaption>{_e(block.caption)}'
                "</figcaption></figure>")
    return f"<p>{_e(block)}</p>"


def to_html(content: Content) -> str:
    """The report as one self-contained HTML5 page."""
    facts = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in content.facts)
    description = (f'<p class="description">{_e(content.description)}</p>'
                   if content.description else "")
    body = [f"<header><h1>{_e(content.title)}</h1>",
            f'<p class="question">{_e(content.question)}</p>{description}',
            f'<dl class="facts">{facts}</dl></header>']
    for section in content.sections:
        body.append(f"<section><h2>{_e(section.title)}</h2>")
        body += [_html_block(b) for b in section.blocks]
        body.append("</section>")
    body.append("<footer>Written by arcsim. Figures are embedded; this page refers to no "
                "other file.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(content.title)}</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body><main>\n{chr(10).join(body)}\n</main></body>\n</html>\n")


__all__ = ["CSS", "to_html", "to_markdown"]
