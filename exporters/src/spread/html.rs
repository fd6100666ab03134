//! A spread as one self-contained HTML page (inline SVG and JavaScript, no network access) that plays it:
//! nodes light up at their first receipt, coloured by time (the source orange), the link each first copy came
//! over turns dark, and nodes never reached turn grey at the end. A slider seeks, a button pauses. The page
//! plays in 8 seconds (`#duration=MS` in the address changes it) and, when its last frame is shown, sets
//! `data-done="true"` on `<html>` and `window.spreadDone = true`, which is what the browser test waits for.

use std::fmt::Write;

use serde_json::json;

use super::{NOT_REACHED_COLOUR, Picture, SOURCE_COLOUR, node_colour, xml};

/// The page for `p`.
pub fn html(p: &Picture<'_>) -> String {
    let n = p.positions.len();
    let nodes: Vec<_> = (0..n as u32)
        .zip(p.positions)
        .map(|(v, &(x, y))| {
            let r = p.spread.first[v as usize];
            json!([
                (x * 940.0 + 30.0).round(),
                (y * 940.0 + 30.0).round(),
                r.map(|r| r.time),
                r.map(|r| r.from),
                p.name(v),
                node_colour(p.spread, v)
            ])
        })
        .collect();
    let edges: Vec<_> = p.edges().into_iter().map(|(a, b, tree)| json!([a, b, u8::from(tree)])).collect();
    let data = json!({"nodes": nodes, "edges": edges, "end": p.spread.end()});
    // Inside <script>, "</" could end the element early.
    let data = data.to_string().replace("</", "<\\/");
    let radius = (400.0 / (n.max(1) as f64).sqrt()).clamp(2.0, 12.0);
    let mut summary = format!(
        "{n} nodes; {} reached by time {}; {} messages sent",
        p.spread.reached(),
        p.spread.end(),
        p.spread.sent
    );
    if p.spread.dropped > 0 {
        let _ = write!(summary, " ({} dropped)", p.spread.dropped);
    }
    if !p.all_edges() {
        summary += "; only the links first copies came over are drawn";
    }
    PAGE.replace("{{title}}", &xml(p.title))
        .replace("{{summary}}", &xml(&summary))
        .replace("{{radius}}", &format!("{radius:.1}"))
        .replace("{{source}}", SOURCE_COLOUR)
        .replace("{{grey}}", NOT_REACHED_COLOUR)
        .replace("{{data}}", &data)
}

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{title}}</title>
<style>
body { font-family: sans-serif; margin: 1em; color: #222; }
#graph { width: min(90vh, 95vw); height: min(90vh, 95vw); border: 1px solid #ddd; }
.edge { stroke: #dddddd; stroke-width: 1; }
.edge.used { stroke: #333333; stroke-width: 2; }
.node { stroke: #777777; stroke-width: 0.5; fill: #ffffff; }
.key { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%; vertical-align: middle; }
</style>
</head>
<body>
<h1>{{title}}</h1>
<p>{{summary}}</p>
<p><button id="play" type="button">Pause</button>
<input id="clock" type="range" min="0" value="0" step="any" aria-label="time">
<span id="now">time 0</span></p>
<svg id="graph" viewBox="0 0 1000 1000" role="img" aria-label="the topology, nodes coloured by first receipt">
<g id="edges"></g><g id="nodes"></g></svg>
<p><span class="key" style="background: {{source}}"></span> source
<span class="key" style="background: linear-gradient(90deg, #440154, #21918c, #bddf26)"></span> reached (early to late)
<span class="key" style="background: {{grey}}"></span> not reached</p>
<script type="application/json" id="data">{{data}}</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("data").textContent);
const SVG = "http://www.w3.org/2000/svg";
const end = data.end;
const match = /duration=(\d+)/.exec(location.hash);
const duration = match ? Math.max(1, Number(match[1])) : 8000;
const clock = document.getElementById("clock");
const label = document.getElementById("now");
const button = document.getElementById("play");
clock.max = String(end);
const lines = new Map();
const edgeLayer = document.getElementById("edges");
for (const [a, b] of data.edges) {
  const [x1, y1] = data.nodes[a], [x2, y2] = data.nodes[b];
  const line = document.createElementNS(SVG, "line");
  line.setAttribute("class", "edge");
  line.setAttribute("x1", x1); line.setAttribute("y1", y1);
  line.setAttribute("x2", x2); line.setAttribute("y2", y2);
  edgeLayer.appendChild(line);
  lines.set(Math.min(a, b) + "," + Math.max(a, b), line);
}
const circles = [];
const nodeLayer = document.getElementById("nodes");
data.nodes.forEach(([x, y, t, from, name], v) => {
  const c = document.createElementNS(SVG, "circle");
  c.setAttribute("class", "node");
  c.setAttribute("cx", x); c.setAttribute("cy", y); c.setAttribute("r", "{{radius}}");
  const title = document.createElementNS(SVG, "title");
  title.textContent = t === null ? name + ": not reached"
    : from === v ? name + ": source at " + t
    : name + ": at " + t + " from " + data.nodes[from][4];
  c.appendChild(title);
  nodeLayer.appendChild(c);
  circles.push(c);
});
const order = data.nodes.map((n, v) => v).filter(v => data.nodes[v][2] !== null)
  .sort((a, b) => data.nodes[a][2] - data.nodes[b][2] || a - b);
let shown = 0;
function paint(v, on) {
  const [, , , from, , colour] = data.nodes[v];
  circles[v].style.fill = on ? colour : "";
  const line = from !== v ? lines.get(Math.min(v, from) + "," + Math.max(v, from)) : undefined;
  if (line) line.classList.toggle("used", on);
}
function show(now) {
  while (shown > 0 && data.nodes[order[shown - 1]][2] > now) paint(order[--shown], false);
  while (shown < order.length && data.nodes[order[shown]][2] <= now) paint(order[shown++], true);
  const last = now >= end;
  data.nodes.forEach(([, , t], v) => { if (t === null) circles[v].style.fill = last ? "{{grey}}" : ""; });
  clock.value = String(now);
  label.textContent = "time " + (Number.isInteger(now) ? now : now.toFixed(1)) + " of " + end;
  if (last && shown === order.length) {
    document.documentElement.dataset.done = "true";
    window.spreadDone = true;
  }
}
let playing = true, started = null, from = 0;
function frame(stamp) {
  if (!playing) return;
  if (started === null) started = stamp;
  const now = Math.min(end, from + (stamp - started) / duration * end);
  show(now);
  if (now < end) requestAnimationFrame(frame); else { playing = false; button.textContent = "Play"; }
}
function play() {
  if (Number(clock.value) >= end) { from = 0; show(0); } else from = Number(clock.value);
  playing = true; started = null; button.textContent = "Pause";
  requestAnimationFrame(frame);
}
button.addEventListener("click", () => {
  if (playing) { playing = false; button.textContent = "Play"; } else play();
});
clock.addEventListener("input", () => { playing = false; button.textContent = "Play"; show(Number(clock.value)); });
show(0);
play();
</script>
</body>
</html>
"#;
