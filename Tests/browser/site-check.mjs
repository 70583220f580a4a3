// Browser tests of a built site (make test-site): headless Chromium driven over the DevTools
// protocol (--remote-debugging-pipe: JSON messages on fds 3/4, no extra library). For every page
// at 320, 390, 768 and 1280 px in the light and dark theme: no horizontal page overflow, no text under
// 9 px (KaTeX's struts and its hidden MathML layer excluded), the navigation and contents present;
// on one page: three search queries return the expected reports, the theme toggle switches and
// persists across a reload, print media hides the chrome; no request leaves the site.
// Screenshots go to SHOTS (default .build/site-shots). Usage: node site-check.mjs SITE [SHOTS]
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";

const site = path.resolve(process.argv[2] || "_site");
const shots = path.resolve(process.argv[3] || ".build/site-shots");
fs.mkdirSync(shots, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "skel-chrome-"));
const chrome = spawn(
  process.env.CHROMIUM || "chromium",
  ["--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
    "--allow-file-access-from-files", `--user-data-dir=${profile}`, "about:blank"],
  { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });
const killer = setTimeout(() => { console.error("site-check: timed out after 300 s"); chrome.kill("SIGKILL"); process.exit(2); }, 300000);

let nextId = 1, buffer = "";
const pending = new Map(), listeners = [];
chrome.stdio[4].on("data", (chunk) => {
  buffer += chunk.toString("utf8");
  let end;
  while ((end = buffer.indexOf("\0")) >= 0) {
    const msg = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
    } else {
      for (const l of listeners) l(msg);
    }
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  chrome.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + "\0");
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

const failures = [];
let checks = 0;
function check(ok, what) {
  checks++;
  if (!ok) failures.push(what);
}

const { targetId } = await send("Target.createTarget", { url: "about:blank" });
const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
const s = (method, params) => send(method, params, sessionId);
const requests = [];
listeners.push((m) => {
  if (m.sessionId === sessionId && m.method === "Network.requestWillBeSent") requests.push(m.params.request.url);
});
await s("Page.enable");
await s("Runtime.enable");
await s("Network.enable");

async function evaluate(expression) {
  const r = await s("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
  if (r.exceptionDetails) throw new Error(`${expression.slice(0, 60)}: ${JSON.stringify(r.exceptionDetails).slice(0, 400)}`);
  return r.result.value;
}
async function load(url) {
  const loaded = new Promise((resolve) => {
    const l = (m) => {
      if (m.sessionId === sessionId && m.method === "Page.loadEventFired") {
        listeners.splice(listeners.indexOf(l), 1);
        resolve();
      }
    };
    listeners.push(l);
  });
  await s("Page.navigate", { url });
  await loaded;
  await evaluate("document.fonts.ready.then(() => true)");
}
async function viewport(width, dark) {
  await s("Emulation.setDeviceMetricsOverride", { width, height: 900, deviceScaleFactor: 1, mobile: width < 500 });
  await s("Emulation.setEmulatedMedia", { media: "", features: [{ name: "prefers-color-scheme", value: dark ? "dark" : "light" }] });
}

// Overflow and text size, measured in the page.
const probe = `(() => {
  const de = document.documentElement, out = { scrollWidth: de.scrollWidth, innerWidth: window.innerWidth, small: [] };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    if (!el || el.closest(".katex-mathml, .visually-hidden, [hidden], .search-results, .ref-preview")) continue;
    const r = document.createRange(); r.selectNodeContents(n);
    const box = r.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || cs.display === "none") continue;
    // KaTeX scales glyphs with nested font sizes: the size that counts is the rendered one.
    const size = parseFloat(cs.fontSize);
    if (size < 9) out.small.push(el.tagName + "." + el.className + " " + size.toFixed(1) + "px: " + n.textContent.trim().slice(0, 30));
  }
  // Figures: the shown width over the drawn width, times the smallest text of the drawing
  // (8.5 pt = 11.33 px in the site themes), must keep 9 px.
  // (The image shown may be a <source>'s — the first whose media matches, as the browser picks
  // it, loaded or not: a phone rendering has its own width in data-width.)
  for (const img of document.querySelectorAll("figure.skel-figure img")) {
    const source = [...(img.parentElement.tagName === "PICTURE" ? img.parentElement.querySelectorAll("source") : [])]
      .find((s) => matchMedia(s.media).matches);
    const shown = img.getBoundingClientRect().width;
    const drawn = Number(source && source.dataset.width ? source.dataset.width : img.getAttribute("width"));
    if (shown > 0 && drawn > 0 && (shown / drawn) * 11.33 < 8.99) out.small.push("figure " + img.src.split("/").pop() + " at " + (shown / drawn * 11.33).toFixed(1) + "px");
  }
  out.nav = !!document.querySelector("nav.sidebar a[aria-current=page]");
  out.toc = document.querySelectorAll("nav.toc a").length;
  out.headingsWithoutId = [...document.querySelectorAll("article h2, article h3")].filter((h) => !h.id).length;
  out.h1 = document.querySelectorAll("h1").length;
  out.bg = getComputedStyle(document.body).backgroundColor;
  // Table headers as the reader reads them: their text outside formulas (no ASCII '=' without
  // spaces, underscore, Greek spelled in ASCII or [x=…] selector) and their formulas' glyphs
  // (no ASCII Greek or underscore); each formula's TeX kept for the known typeset forms.
  out.headers = [...document.querySelectorAll("article th")].map((th) => {
    const c = th.cloneNode(true);
    const tex = [...c.querySelectorAll("annotation")].map((a) => a.textContent);
    const glyphs = [...c.querySelectorAll(".katex-html")].map((k) => k.textContent).join(" ");
    c.querySelectorAll(".katex").forEach((k) => k.remove());
    return { text: c.textContent.trim(), glyphs, tex };
  });
  out.links = [...document.querySelectorAll("nav.sidebar a, .report-card > a")].map((a) => a.getAttribute("href"));
  return out;
})()`;
const greek = "alpha|beta|gamma|delta|epsilon|zeta|eta|theta|iota|kappa|lambda|mu|nu|xi|pi|rho|sigma|tau|upsilon|phi|chi|psi|omega";
function codeLike(text, math) {
  if (/\[[^\]]*=[^\]]*\]/.test(text)) return "a [x=…] selector";
  if (!math && /[^\s=<>!≤≥]=|=[^\s=]/.test(text)) return "'=' without spaces";
  if (text.includes("_")) return "an underscore";
  const g = new RegExp(`(?<![A-Za-z])(${greek})(?![A-Za-z])`, "i").exec(text);
  return g ? `'${g[1]}' in ASCII` : null;
}

// Every page of the site: the index, the build page and every report's page.
const pages = ["index.html", ...(fs.existsSync(path.join(site, "build.html")) ? ["build.html"] : []),
  ...fs.readdirSync(site).filter((d) => fs.existsSync(path.join(site, d, "index.html"))).sort().map((d) => d + "/index.html")];
const linked = new Set(), headersSeen = new Set();
const t0 = Date.now();
for (const dark of [false, true]) {
  for (const width of [320, 390, 768, 1280]) {
    await viewport(width, dark);
    for (const page of pages) {
      await load("file://" + path.join(site, page));
      const r = await evaluate(probe);
      const where = `${page} at ${width}px ${dark ? "dark" : "light"}`;
      check(r.scrollWidth <= r.innerWidth, `${where}: the page scrolls sideways (${r.scrollWidth} > ${r.innerWidth})`);
      check(r.small.length === 0, `${where}: text under 9 px: ${r.small.slice(0, 4).join("; ")}`);
      check(r.h1 === 1, `${where}: ${r.h1} h1 elements`);
      check(dark ? r.bg === "rgb(27, 29, 33)" : r.bg === "rgb(255, 255, 255)", `${where}: background ${r.bg}`);
      if (page.endsWith("/index.html")) {
        check(r.nav, `${where}: no navigation with the current report`);
        check(r.toc > 0, `${where}: no contents`);
        check(r.headingsWithoutId === 0, `${where}: ${r.headingsWithoutId} headings without an id`);
      }
      for (const l of r.links) linked.add(path.normalize(path.join(path.dirname(page), l)));
      if (width === 1280 && !dark) {
        for (const h of r.headers) {
          const why = codeLike(h.text, false) || codeLike(h.glyphs, true);
          check(!why, `${page}: the table column '${h.text || h.tex.join(" ")}' reads as code (${why})`);
          for (const t of h.tex) headersSeen.add(`${page.split("/")[0]}: ${t}`);
        }
      }
      // every page, every width, both themes
      const shot = await s("Page.captureScreenshot", { format: "png" });
      fs.writeFileSync(path.join(shots, `${page.split("/")[0].replace(".html", "")}-${width}-${dark ? "dark" : "light"}.png`), Buffer.from(shot.data, "base64"));
    }
  }
}

// Every report the sidebar and the index cards link to was checked.
for (const l of linked) check(pages.includes(l), `${l} is linked from the navigation but was not checked`);
check(pages.length >= 3, `only ${pages.length} pages found in ${site}`);
// Known table columns in their typeset form (the kinds' titles), as KaTeX's TeX.
for (const known of ["networks: \\kappa(t = 1)", "meanfield: \\sigma^2_{w,c}"]) {
  check(headersSeen.has(known), `no table column '${known}' (seen: ${[...headersSeen].filter((h) => h.startsWith(known.split(":")[0])).join("; ")})`);
}

// The search index: what a result shows is text, never a formula's TeX.
await viewport(1280, false);
await load("file://" + path.join(site, "index.html"));
const rawTeX = await evaluate(`window.skelSearchDocuments.filter((d) => /\\\\[A-Za-z]|\\$/.test(d.text + " " + d.title)).map((d) => d.url + ": " + (d.text.match(/.{0,30}(\\\\[A-Za-z]+|\\$).{0,30}/) || [d.title])[0])`);
check(rawTeX.length === 0, `search snippets with raw TeX: ${rawTeX.slice(0, 4).join(" | ")}`);

// Search: three queries and the reports they must find first.
await viewport(1280, false);
await load("file://" + path.join(site, "index.html"));
// (a formula's TeX is searched too: "kappa" finds the pages whose formulas have κ)
const queries = { "edge of chaos": "meanfield/", "Rademacher": "random/", "arc-cosine kernel": "duals/", "kappa": "networks/" };
for (const [q, expected] of Object.entries(queries)) {
  const urls = await evaluate(`window.skelSite.search(${JSON.stringify(q)})`);
  check(urls.length > 0 && urls.slice(0, 3).some((u) => u.startsWith(expected)), `search '${q}': expected ${expected} in the first 3, got ${urls.slice(0, 3).join(", ") || "nothing"}`);
}
// The search box in use: typing shows a results list.
await evaluate(`(() => { const i = document.getElementById("search-input"); i.value = "edge of chaos"; i.dispatchEvent(new Event("input")); return true; })()`);
await new Promise((r) => setTimeout(r, 300));
const listed = await evaluate(`[...document.querySelectorAll("#search-results a")].map((a) => a.getAttribute("href"))`);
check(listed.length > 0 && !(await evaluate(`document.getElementById("search-results").hidden`)), "the search box lists no results");
const snippets = await evaluate(`[...document.querySelectorAll("#search-results .search-snippet")].map((p) => p.textContent)`);
check(snippets.length > 0 && snippets.every((t) => !/\\[A-Za-z]|\$/.test(t)), `search snippets show TeX: ${snippets.filter((t) => /\\[A-Za-z]|\$/.test(t)).slice(0, 2).join(" | ")}`);
fs.writeFileSync(path.join(shots, "search-1280-light.png"), Buffer.from((await s("Page.captureScreenshot", { format: "png" })).data, "base64"));

// Theme toggle: auto → light → dark, kept across a reload.
await load("file://" + path.join(site, "duals/index.html"));
await evaluate(`localStorage.removeItem("skel-theme"), true`);
await load("file://" + path.join(site, "duals/index.html"));
await evaluate(`document.querySelector(".theme-toggle").click(), document.querySelector(".theme-toggle").click(), true`);
check((await evaluate(`document.documentElement.getAttribute("data-theme")`)) === "dark", "the toggle does not switch to dark");
check((await evaluate(`getComputedStyle(document.body).backgroundColor`)) === "rgb(27, 29, 33)", "the dark theme is not applied");
await load("file://" + path.join(site, "duals/index.html"));
check((await evaluate(`document.documentElement.getAttribute("data-theme")`)) === "dark", "the theme is not kept across a reload");
check((await evaluate(`getComputedStyle(document.body).backgroundColor`)) === "rgb(27, 29, 33)", "the kept dark theme is not applied at load");
check((await evaluate(`[...document.querySelectorAll("picture source")].filter((s) => (s.dataset.media || s.media).includes("prefers-color-scheme")).every((s) => !s.media.includes("prefers-color-scheme") && s.media !== "not all")`)), "dark figures do not follow the toggle");
await evaluate(`document.querySelector(".theme-toggle").click(), true`);
check((await evaluate(`document.documentElement.getAttribute("data-theme")`)) === null, "the toggle does not return to auto");

// Print: the chrome hidden.
await s("Emulation.setEmulatedMedia", { media: "print", features: [] });
const hidden = await evaluate(`[".site-header", ".sidebar", ".toc", ".page-nav", ".site-footer"].map((q) => { const e = document.querySelector(q); return !e || getComputedStyle(e).display === "none"; })`);
check(hidden.every(Boolean), `print shows chrome: ${hidden}`);
const pdf = await s("Page.printToPDF", { printBackground: true });
fs.writeFileSync(path.join(shots, "duals-print.pdf"), Buffer.from(pdf.data, "base64"));

// No request leaves the site.
const outside = requests.filter((u) => !u.startsWith("file://" + site) && !u.startsWith("data:") && u !== "about:blank");
check(outside.length === 0, `requests outside the site: ${outside.slice(0, 5).join(", ")}`);

clearTimeout(killer);
const exited = new Promise((r) => chrome.on("exit", r));
chrome.kill();
await exited;
try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) {}
const seconds = ((Date.now() - t0) / 1000).toFixed(1);
for (const f of failures) console.log("FAIL " + f);
console.log(`site-check: ${pages.length} pages (${pages.join(", ")}) × 4 widths × 2 themes, ${checks} checks in ${seconds} s; screenshots in ${shots}`);
console.log(`${checks - failures.length} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
