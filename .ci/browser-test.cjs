// Loads each page given and waits for it to play its spread to the end; fails on any console error or
// warning, page error, or request that is not the page itself. Usage: node browser-test.cjs CHROMIUM PAGE...
"use strict";
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT);

async function main() {
  const [executablePath, ...pages] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  let failed = false;
  for (const file of pages) {
    const url = "file://" + path.resolve(file);
    const page = await browser.newPage();
    const problems = [];
    page.on("console", m => { if (m.type() === "error" || m.type() === "warning") problems.push(m.type() + ": " + m.text()); });
    page.on("pageerror", e => problems.push("page error: " + e));
    page.on("request", r => { if (r.url().split("#")[0] !== url) problems.push("request: " + r.url()); });
    await page.goto(url + "#duration=1500");
    try {
      await page.waitForFunction(() => document.documentElement.dataset.done === "true", null, { timeout: 20000 });
    } catch (e) {
      problems.push("never played to its end: " + e.message.split("\n")[0]);
    }
    const state = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById("data").textContent);
      const circles = [...document.querySelectorAll("circle.node")];
      return {
        nodes: data.nodes.length,
        circles: circles.length,
        unpainted: circles.filter(c => c.style.fill === "").length,
        clock: document.getElementById("now").textContent,
        end: data.end,
      };
    });
    if (state.circles !== state.nodes) problems.push(`${state.circles} circles for ${state.nodes} nodes`);
    if (state.unpainted !== 0) problems.push(`${state.unpainted} nodes not painted at the end`);
    if (state.clock !== `time ${state.end} of ${state.end}`) problems.push(`the clock shows "${state.clock}"`);
    console.log(`${file}: ${problems.length ? "FAILED" : "ok"} (${state.nodes} nodes, played to time ${state.end})`);
    for (const p of problems) console.log("  " + p);
    failed ||= problems.length > 0;
    await page.close();
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
}

main().catch(e => { console.error(e); process.exit(1); });
