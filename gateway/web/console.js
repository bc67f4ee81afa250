// The regulator's console: the supervision index through the gateway's API,
// with the caller's API key (kept in this tab's sessionStorage only).
"use strict";

const KINDS = {
  credential: "电子凭证", certificate: "登记证书", agreement: "协议", application: "申请", objection: "异议", obligation: "履职事项", creditRecord: "信用档案", evaluation: "评估评价", selection: "运营机构选定", plan: "实施方案",
  party: "主体", issuerKey: "签发密钥", egress: "出域核验", ack: "交易场所回执",
  report: "监管报告", jurisdiction: "辖区", profile: "政策配置", calendar: "工作日历",
};
const FLAGS = { late: "逾期办理", overdue: "已超期", deemed: "视为同意", open: "待办" };
const $ = (id) => document.getElementById(id);
let key = sessionStorage.getItem("dataledger-key") || "";
let channel = "";
let nextCursor = "";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

function beijing(t) {
  if (!t) return "";
  const d = new Date(t);
  return new Date(d.getTime() + 8 * 3600e3).toISOString().replace("T", " ").slice(0, 19);
}

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + key, "Accept-Language": "zh-CN" } });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { detail: text }; }
  if (!r.ok) {
    const e = new Error(body.detail || body.title || r.statusText);
    e.status = r.status; e.field = body.field;
    throw e;
  }
  return body;
}

async function login(ev) {
  if (ev) ev.preventDefault();
  if (!key) key = $("apikey").value.trim();
  $("login-error").textContent = "";
  try {
    const st = await api("/api/v1/index/status");
    sessionStorage.setItem("dataledger-key", key);
    const sel = $("channel");
    sel.replaceChildren(...st.channels.map((c) => el("option", { value: c.channel }, c.channel)));
    if (!st.channels.length) throw Object.assign(new Error("监管索引中尚无本机构可见的通道"), { status: 404 });
    channel = sel.value;
    $("login").hidden = true; $("app").hidden = false; $("who").hidden = false;
    renderAudit(st.channels);
    await dashboard();
  } catch (e) {
    key = ""; sessionStorage.removeItem("dataledger-key");
    $("login-error").textContent = e.status === 401 || e.status === 403 ? "密钥无效或无监管权限（仅限监管机构及本辖区数据主管部门）" : "登录失败：" + e.message;
  }
}

function show(view) {
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== view;
  for (const b of document.querySelectorAll(".tab")) b.classList.toggle("active", b.dataset.view === view);
}

async function dashboard() {
  $("channel-label").textContent = "通道 " + channel;
  const s = await api(`/api/v1/channels/${encodeURIComponent(channel)}/index/summary`);
  $("height").textContent = `截至区块高度 ${s.height}（北京时间 ${s.today}）`;
  const count = (kind, status) => s.counts.filter((c) => c.kind === kind && (!status || c.status === status)).reduce((a, c) => a + c.n, 0);
  const flag = (f, kind) => s.flags.filter((c) => c.status === f && (!kind || c.kind === kind)).reduce((a, c) => a + c.n, 0);
  const cards = [
    ["电子凭证", count("credential")], ["登记证书", count("certificate")], ["有效登记证书", count("certificate", "valid")],
    ["协议", count("agreement")], ["逾期备案/办理", flag("late"), true], ["未决异议", flag("open", "objection"), true],
    ["已超期未办", flag("overdue"), true], ["视为同意", flag("deemed")],
  ];
  $("cards").replaceChildren(...cards.map(([label, n, alert]) =>
    el("div", { class: "card" + (alert && n > 0 ? " alert" : "") }, el("div", { class: "n" }, n), el("div", { class: "label" }, label))));
  $("counts").tBodies[0].replaceChildren(...s.counts.filter((c) => c.status).map((c) =>
    el("tr", {}, el("td", {}, KINDS[c.kind] || c.kind), el("td", {}, c.status), el("td", {}, c.n))));
  $("upcoming").tBodies[0].replaceChildren(...s.upcoming.map((h) =>
    el("tr", {}, el("td", {}, h.due || "视为同意日"), el("td", {}, KINDS[h.kind] || h.kind), el("td", { class: "mono" }, recordLink(h)), el("td", {}, h.title), el("td", {}, h.status))));
  $("upcoming-none").hidden = s.upcoming.length > 0;
  chart(s.months);
}

// chart draws new credentials and certificates per month as bars (SVG, no library).
function chart(months) {
  const ns = "http://www.w3.org/2000/svg";
  const byMonth = {};
  for (const m of months) (byMonth[m.month] = byMonth[m.month] || {})[m.kind] = m.n;
  const keys = Object.keys(byMonth).sort();
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 600 180");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "每月新增电子凭证与登记证书");
  const max = Math.max(1, ...months.map((m) => m.n));
  const w = 600 / Math.max(keys.length, 1);
  keys.forEach((k, i) => {
    ["credential", "certificate"].forEach((kind, j) => {
      const n = byMonth[k][kind] || 0;
      const h = (n / max) * 140;
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", i * w + 8 + j * (w - 16) / 2); r.setAttribute("y", 150 - h);
      r.setAttribute("width", Math.max((w - 16) / 2 - 2, 2)); r.setAttribute("height", h);
      r.setAttribute("class", "bar-" + kind);
      const title = document.createElementNS(ns, "title"); title.textContent = `${k} ${KINDS[kind]} ${n}`; r.append(title);
      svg.append(r);
    });
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", i * w + w / 2 - 18); t.setAttribute("y", 168); t.textContent = k;
    svg.append(t);
  });
  $("chart").replaceChildren(svg);
}

function recordLink(h) {
  return el("a", { href: "#", onclick: (e) => { e.preventDefault(); openRecord(h); } }, h.id);
}

function queryString() {
  const f = new FormData($("query"));
  const p = new URLSearchParams();
  for (const [k, v] of f.entries()) if (v) p.append(k, v);
  return p;
}

async function search(ev, more) {
  if (ev) ev.preventDefault();
  $("search-error").textContent = "";
  const p = queryString();
  p.set("limit", "50");
  if (more) p.set("cursor", nextCursor);
  try {
    const page = await api(`/api/v1/channels/${encodeURIComponent(channel)}/index/records?${p}`);
    const rows = page.items.map((h) => el("tr", {},
      el("td", {}, KINDS[h.kind] || h.kind), el("td", { class: "mono" }, recordLink(h)), el("td", {}, h.title),
      el("td", { class: "mono" }, (h.parties || []).join(" ")), el("td", {}, h.status + (h.outcome ? " · " + h.outcome : "")),
      el("td", {}, ...Object.keys(FLAGS).filter((f) => h[f]).map((f) => el("span", { class: "flag " + f }, FLAGS[f]))),
      el("td", {}, beijing(h.recorded))));
    if (more) $("results").tBodies[0].append(...rows); else $("results").tBodies[0].replaceChildren(...rows);
    nextCursor = page.next || "";
    $("more").hidden = !nextCursor;
    $("result-height").textContent = `截至区块高度 ${page.height}：${$("results").tBodies[0].rows.length} 条${nextCursor ? "（还有更多）" : ""}`;
  } catch (e) {
    $("search-error").textContent = (e.field ? `「${e.field}」` : "") + e.message;
  }
}

async function exportAs(format) {
  const p = queryString();
  p.set("format", format);
  $("search-error").textContent = "";
  const r = await fetch(`/api/v1/channels/${encodeURIComponent(channel)}/index/export?${p}`, { headers: { Authorization: "Bearer " + key } });
  if (!r.ok) {
    const b = await r.json().catch(() => ({}));
    $("search-error").textContent = "导出失败：" + (b.detail || r.statusText);
    return;
  }
  const blob = await r.blob();
  const a = el("a", { href: URL.createObjectURL(blob), download: `dataledger-${channel}.${format}` });
  document.body.append(a); a.click(); a.remove();
}

async function openRecord(h) {
  show("record");
  $("record-title").textContent = `${KINDS[h.kind] || h.kind} ${h.id}`;
  $("record-meta").textContent = `状态 ${h.status}${h.outcome ? " · " + h.outcome : ""} · ${h.versions} 个版本 · 最近交易 ${h.txId}（区块 ${h.block}）`;
  const proofLink = $("record-proof");
  proofLink.hidden = !(h.links && h.links.proof);
  proofLink.onclick = async (e) => {
    e.preventDefault();
    const b = await api(h.links.proof);
    const a = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(b, null, 2)], { type: "application/json" })), download: h.id + ".proof.json" });
    document.body.append(a); a.click(); a.remove();
  };
  const hist = await api(h.links ? h.links.history : `/api/v1/channels/${encodeURIComponent(channel)}/index/history?kind=${h.kind}&id=${encodeURIComponent(h.id)}`);
  $("timeline").replaceChildren(...hist.versions.map((v) => {
    const rec = v.record || {};
    const last = rec.last || rec.checked || {};
    return el("li", {}, el("strong", {}, beijing(v.time)), " ", v.function || "", " · ", v.creatorMsp,
      last.reason ? " · " + last.reason : "", " · ", rec.status || rec.stage || "",
      el("div", { class: "mono" }, `区块 ${v.block} · 交易 ${v.txId}`));
  }));
  $("record-json").textContent = JSON.stringify(h.record, null, 2);
}

// download fetches a file with the caller's key and saves it.
async function download(path, name) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + key } });
  if (!r.ok) {
    const b = await r.json().catch(() => ({}));
    throw new Error(b.detail || r.statusText);
  }
  const a = el("a", { href: URL.createObjectURL(await r.blob()), download: name });
  document.body.append(a); a.click(); a.remove();
}

async function reports() {
  $("report-error").textContent = "";
  const page = await api(`/api/v1/channels/${encodeURIComponent(channel)}/index/records?kind=report&limit=100`);
  $("report-list").tBodies[0].replaceChildren(...page.items.map((h) => {
    const files = el("td", {});
    for (const f of ["report.html", "report.xlsx", "report.json"]) {
      files.append(el("a", { href: "#", onclick: (e) => {
        e.preventDefault();
        download(`/api/v1/reports/${encodeURIComponent(h.id)}/files/${f}`, `${h.id}-${f}`).catch((err) => { $("report-error").textContent = err.message; });
      } }, f), " ");
    }
    files.append(el("a", { href: "#", onclick: (e) => {
      e.preventDefault();
      download(h.links.proof, `${h.id}.proof.json`).catch((err) => { $("report-error").textContent = err.message; });
    } }, "证明包"));
    return el("tr", {}, el("td", { class: "mono" }, h.id), el("td", {}, h.title), el("td", {}, h.outcome), el("td", {}, h.date), files);
  }));
}

// idempotencyKey is 128 random bits (crypto.randomUUID needs a secure context).
function idempotencyKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// reportKey is the pending report's Idempotency-Key: a second click, or a
// retry after an error, asks for the same report, not another.
let reportKey = "";

async function makeReport(ev) {
  ev.preventDefault();
  $("report-error").textContent = "";
  reportKey = reportKey || idempotencyKey();
  $("make-report").disabled = true;
  const f = new FormData($("report-form"));
  const r = await fetch(`/api/v1/channels/${encodeURIComponent(channel)}/reports/generate`, {
    method: "POST",
    headers: { Authorization: "Bearer " + key, "Content-Type": "application/json", "Idempotency-Key": reportKey },
    body: JSON.stringify({ period: f.get("period"), department: f.get("department") }),
  }).catch((e) => ({ ok: false, status: 0, statusText: e.message, json: async () => ({}) }));
  const b = await r.json().catch(() => ({}));
  $("make-report").disabled = false;
  if (!r.ok) {
    if (r.status >= 400 && r.status < 500) reportKey = ""; // refused: the next attempt is a new request
    $("report-error").textContent = (r.status === 403 ? "仅本辖区数据主管部门可生成报告：" : "生成失败：") + (b.detail || r.statusText);
    return;
  }
  reportKey = "";
  $("report-error").textContent = "";
  await new Promise((done) => setTimeout(done, 1500)); // the index follows the new block
  await reports();
}

function renderAudit(channels) {
  $("channels").tBodies[0].replaceChildren(...channels.map((c) => el("tr", {},
    el("td", {}, c.channel), el("td", {}, c.height), el("td", {}, beijing(c.lastBlockTime)), el("td", {}, beijing(c.indexedAt)),
    el("td", { class: c.broken ? "broken" : "ok" }, c.broken ? `区块 ${c.broken.block} 核验失败：${c.broken.reason}` : "每个区块均已通过核验"))));
}

$("login").addEventListener("submit", login);
$("logout").addEventListener("click", () => { sessionStorage.removeItem("dataledger-key"); location.reload(); });
$("channel").addEventListener("change", (e) => { channel = e.target.value; nextCursor = ""; dashboard(); });
for (const b of document.querySelectorAll(".tab")) b.addEventListener("click", async () => {
  show(b.dataset.view);
  if (b.dataset.view === "audit") renderAudit((await api("/api/v1/index/status")).channels);
  if (b.dataset.view === "dashboard") dashboard();
  if (b.dataset.view === "reports") reports();
});
$("query").addEventListener("submit", (e) => search(e, false));
$("more").addEventListener("click", () => search(null, true));
$("back").addEventListener("click", () => show("search"));
$("export-csv").addEventListener("click", () => exportAs("csv"));
$("export-xlsx").addEventListener("click", () => exportAs("xlsx"));
$("report-form").addEventListener("submit", makeReport);
if (key) login();
