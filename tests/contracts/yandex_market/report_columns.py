"""Build ``report_columns.json``: the JSON columns and value types YM documents for each sheet of the report files
our client reads (goods realization, united marketplace services).

YM documents these columns on its report pages ("Explanation of the report columns": CSV name, JSON name, XLSX
title, value type per sheet file), not in the OpenAPI. The input is a crawl of those pages (repository
``DragonSigh/yandex-market-api-docs``, ``reference/reports/<operationId>.md``); only the facts are kept: the
sheet file names, the JSON column names and their value types, per placement model section (the realization page
has one table set for FBY/FBS/Express and one for DBS).

Usage: ``python tests/contracts/yandex_market/report_columns.py <crawl checkout> <crawl commit>``.
A column listed twice on a page (``updStatus`` under two XLSX groups) is one JSON key; a key documented with two
types within one sheet would keep both, as ``"string|number"`` (none is, in the crawl used).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPORTS = {
    "goods_realization": "generateGoodsRealizationReport",
    "united_marketplace_services": "generateUnitedMarketplaceServicesReport",
}
SECTIONS = {"goods_realization": ["fby_fbs_express", "dbs"], "united_marketplace_services": ["all"]}
OUT = Path(__file__).with_name("report_columns.json")
_SHEET = re.compile(r"^Sheet \*\*.+\*\* \(file \*\*(?P<file>[^*]+)\*\*\)")
_ROW = re.compile(r"^(?P<csv>[A-Z0-9_]+)\s*\|\s*(?P<json>[A-Za-z0-9_]+)\s*\|.*\|\s*(?P<type>[a-z]+)\s*$")


def parse(text: str, sections: list[str]) -> dict[str, dict[str, dict[str, str]]]:
    """``{section: {sheet: {jsonColumn: "type"}}}`` of one report page."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    section, sheet = -1, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Explanation of the report columns"):
            section += 1
            sheet = None
        elif match := _SHEET.match(line):
            sheet = match["file"]
            out.setdefault(sections[section], {}).setdefault(sheet, {})
        elif sheet is not None and (match := _ROW.match(line)):
            columns = out[sections[section]][sheet]
            known = columns.get(match["json"], "").split("|")
            if match["type"] not in known:
                columns[match["json"]] = "|".join(t for t in (*known, match["type"]) if t)
    return out


def meta(text: str) -> dict[str, str]:
    """The crawl's front matter (the page's URL and crawl time)."""
    head = text.split("---", 2)[1] if text.startswith("---") else ""
    return dict(
        (k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in head.splitlines()) if k.strip()
    )


def main(crawl: Path, commit: str) -> None:
    """Write ``report_columns.json`` from the crawl."""
    document: dict[str, object] = {
        "source": {
            "what": "YM report pages, 'Explanation of the report columns' (JSON name and value type per sheet file)",
            "crawl": f"DragonSigh/yandex-market-api-docs@{commit}",
        }
    }
    for report, operation in REPORTS.items():
        text = (crawl / "reference" / "reports" / f"{operation}.md").read_text()
        page = meta(text)
        document[report] = {
            "page": page.get("url"),
            "crawled_at": page.get("crawled_at"),
            "sections": parse(text, SECTIONS[report]),
        }
    text = json.dumps(document, ensure_ascii=False, indent=1)
    OUT.write_text(text + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
