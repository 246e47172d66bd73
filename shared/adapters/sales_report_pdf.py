"""The sales-report PDF (SPEC R-RP-5), laid out with fpdf2 from a ReportDocument whose words and
numbers shared.domain.sales_report already chose.

fpdf2 (pure Python) is imported when a report is first rendered: only send-email renders, and
the import would add to every other function's cold start. The built-in Helvetica covers
Latin-1 only; a character outside it (an emoji in an event name) prints as "?" rather than
failing the report, which saves shipping a font file in every bundle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.domain.sales_report import ReportDocument, Table

if TYPE_CHECKING:
    from fpdf import FPDF

PAGE_WIDTH = 180  # mm of an A4 page between 15 mm margins
FIRST_COLUMN = 0.5  # share of the width for the label column


def latin1(text: str) -> str:
    return text.encode("latin-1", errors="replace").decode("latin-1")


def render_sales_report(document: ReportDocument, *, compress: bool = True) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.compress = compress
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1(document.title))
    pdf.set_creator("Sellout")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(PAGE_WIDTH, 8, latin1(document.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in document.subtitle:
        pdf.multi_cell(PAGE_WIDTH, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    for table in document.tables:
        pdf.ln(5)
        _table(pdf, table)
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(PAGE_WIDTH, 4, latin1(document.footnote), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(PAGE_WIDTH, 7, latin1(table.title), new_x="LMARGIN", new_y="NEXT")
    others = len(table.header) - 1
    widths = [PAGE_WIDTH * FIRST_COLUMN] + [PAGE_WIDTH * (1 - FIRST_COLUMN) / others] * others
    pdf.set_font("Helvetica", "B", 9)
    for width, heading in zip(widths, table.header, strict=True):
        pdf.cell(width, 6, latin1(heading), border="B", align="L" if width == widths[0] else "R")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for row in table.rows:
        for position, (width, value) in enumerate(zip(widths, row, strict=True)):
            # A long ticket-type name is cut to its column rather than overprinting the numbers.
            text = _fit(pdf, latin1(value), width - 2) if position == 0 else latin1(value)
            pdf.cell(width, 6, text, align="L" if position == 0 else "R")
        pdf.ln()


def _fit(pdf: FPDF, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
    return text + "..."
