"""The budget page's stylesheet, inlined into every page: no CDN, no build step; one column on a phone."""

from __future__ import annotations

# --c is the colour of a state; every element showing a state (badge, meter, bar, legend, event) takes it from its
# s-<state> class, so the chart and the cards always agree.
CSS = """
:root{--ink:#1d2433;--muted:#5b6475;--line:#e3e7ee;--bg:#f5f7fa;--card:#fff;
--active:#2f6fdb;--warned:#c98a00;--degraded:#e8590c;--stopped:#c92a2a}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:var(--ink);background:var(--bg)}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.1rem 0 .6rem;overflow-wrap:anywhere}
h2{font-size:.85rem;margin:0 0 .5rem;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.brand{margin:0;color:var(--muted);font-size:.85rem}
.s-active{--c:var(--active)}.s-warned{--c:var(--warned)}.s-degraded{--c:var(--degraded)}.s-stopped{--c:var(--stopped)}
.state{margin:0;padding:.6rem .8rem;border-radius:.6rem;background:var(--c);color:#fff}
.state strong{text-transform:uppercase;letter-spacing:.05em;margin-right:.4rem}
.cards{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));margin:1rem 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem;min-width:0;
margin:0 0 1rem}
.cards .card{margin:0}
.big{font-size:1.9rem;font-weight:700;margin:0;font-variant-numeric:tabular-nums}
.of{font-size:1rem;color:var(--muted);font-weight:400}
.meter{height:.6rem;background:var(--line);border-radius:999px;overflow:hidden;margin:.6rem 0}
.meter span{display:block;height:100%;background:var(--c)}
dl{display:grid;grid-template-columns:1fr auto;gap:.3rem 1rem;margin:.5rem 0 0}
dt{color:var(--muted)}
dd{margin:0;text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
dd small{display:block;color:var(--muted);white-space:nowrap}
svg.chart{width:100%;height:auto;display:block;max-width:44rem}
.bar{fill:var(--c)}
.bar.today{fill-opacity:.55;stroke:var(--c);stroke-width:1.5;stroke-dasharray:3 2}
.cap{fill:none;stroke:var(--ink);stroke-width:1.5;stroke-dasharray:5 3}
.grid{stroke:var(--line)}
.axis,.cap-label{font-size:11px;fill:var(--muted)}
.cap-label{fill:var(--ink);paint-order:stroke;stroke:var(--card);stroke-width:3px}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;list-style:none;padding:0;margin:.5rem 0;font-size:.85rem;
color:var(--muted)}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;background:var(--c);margin-right:.3rem;
vertical-align:-1px}
.legend .cap-key{width:1.2rem;height:0;border-top:2px dashed var(--ink);background:none;border-radius:0}
.events{list-style:none;padding:0;margin:0}
.events li{padding:.55rem 0;border-top:1px solid var(--line);display:grid;grid-template-columns:1fr auto;
gap:.1rem 1rem}
.events .kind{font-weight:600}
.events .kind::before{content:"";display:inline-block;width:.6rem;height:.6rem;border-radius:50%;
background:var(--c,var(--muted));margin-right:.45rem}
.events time{color:var(--muted);font-size:.85rem;text-align:right}
.events .detail{grid-column:1/-1;color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
.empty{color:var(--muted);margin:0}
footer{color:var(--muted);font-size:.8rem;margin:0 0 2rem}
@media (max-width:30rem){
.axis,.cap-label{font-size:17px}
.events li{grid-template-columns:1fr}
.events time{text-align:left}
}
"""
