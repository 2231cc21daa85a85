"""Takes the README's screenshot of the budget page: a realistic month (tests.fakes.budget_reports.black_friday: a
cap raised mid-month, a degraded day, a hard stop on Black Friday) at a phone's width beside a desktop's, rendered
by headless Chromium exactly as the page is served (the phone shows as much as a desktop's page is tall).

    .venv/bin/python -m tests.e2e.screenshot [docs/budget-page.png]
"""

from __future__ import annotations

import base64
import sys
from html import escape
from pathlib import Path

from spendrail.dashboard.page import render_page
from tests.e2e.chromium import Chromium, Tab
from tests.fakes.budget_reports import black_friday

PHONE, DESKTOP, GAP = 375, 860, 24
OUT = Path(__file__).resolve().parents[2] / "docs" / "budget-page.png"


def _data_url(html: str) -> str:
    return "data:text/html;base64," + base64.b64encode(html.encode()).decode()


def _height(tab: Tab, html: str, width: int) -> int:
    tab.open(_data_url(html), width=width, height=800, mobile=width == PHONE)
    return int(tab.evaluate("document.documentElement.scrollHeight"))


def main(out: Path = OUT) -> int:
    page = render_page(black_friday())
    with Chromium.launch() as browser:
        tab = browser.new_tab()
        phone_h, desktop_h = _height(tab, page, PHONE), _height(tab, page, DESKTOP)
        frame = f'style="border:0;border-radius:16px;box-shadow:0 4px 18px #0002" srcdoc="{escape(page)}"'
        both = (
            f'<!doctype html><body style="margin:0;padding:{GAP}px;background:#dfe3ea;display:flex;gap:{GAP}px;'
            f'align-items:flex-start"><iframe width="{PHONE}" height="{min(phone_h, desktop_h)}" {frame}>'
            f'</iframe><iframe width="{DESKTOP}" height="{desktop_h}" {frame}></iframe></body>'
        )
        tab.open(_data_url(both), width=PHONE + DESKTOP + 3 * GAP, height=desktop_h + 2 * GAP)
        out.write_bytes(tab.screenshot())
    print(f"{out}: {out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
