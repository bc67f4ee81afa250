// An enterprise's own page (中文 first): its records and every deadline it
// owes or is owed, soonest first (GET /api/v1/me/obligations), and a
// presentation of the credentials and certificates it ticks (POST
// /api/v1/presentations). The API key is kept in this tab's
// sessionStorage only.
"use strict";
const $ = (id) => document.getElementById(id);
const KEY = "dataledger-me-key"; // the console keeps its own
let key = sessionStorage.getItem(KEY) || "";
const KINDS = { party: "主体登记", agreement: "授权协议", credential: "电子凭证", application: "申请", certificate: "登记证书", objection: "异议", obligation: "履职事项", creditRecord: "信用档案", evaluation: "评估评价" };
const STATES = {
  active: "正常", suspended: "已暂停", exited: "已退出", signed: "已签订", filed: "已备案", changed: "已变更", terminated: "已终止",
  revoked: "已撤销", valid: "有效", expired: "已过期", "authorization-ended": "授权已终止", open: "待处理", decided: "已决定",
  applied: "待审核", correction_requested: "待补正材料", catalog_approved: "目录授权审核通过", preliminary_approved: "待复审", compliance_approved: "待场景协议备案", agreement_filed: "可开始开发",
  developing: "开发中", product_submitted: "产品待评估审核", verified: "一致性验证通过", in_notice: "公示中", registered: "已登记", rejected: "未通过",
  onboarded: "已予注册（已进驻）", renewal_approved: "续期已同意，待签新协议", renewed: "已续期", quality_confirmed: "数据问题已确认，待处理",
  quality_not_confirmed: "经校核未确认问题", quality_resolved: "数据问题已处理",
  accepted: "已通过", returned: "已退回，待重报", withdrawn: "已撤回",
  recorded: "已记入信用档案", rescinded: "已撤销（信用修复）", standing: "有效", superseded: "已更正", qualified: "合格", unqualified: "不合格",
};
const OWES = { authority: "主管部门（应对本企业办理）", operator: "运营机构（应对本企业核查）", provider: "数据提供单位（应反馈或处理）", enterprise: "本企业" };
const own = (table, k) => (Object.prototype.hasOwnProperty.call(table, k) ? table[k] : k);

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

async function load() {
  const r = await fetch("/api/v1/me/obligations", { headers: { Authorization: "Bearer " + key, "Accept-Language": "zh-CN" } });
  const body = await r.json();
  if (!r.ok) {
    const err = new Error(body.detail || body.title || String(r.status));
    err.refused = r.status === 401 || r.status === 403;
    throw err;
  }
  $("holder").textContent = "经营主体 " + body.holder;
  const heights = Object.keys(body.heights || {}).map((c) => c + " 高度 " + body.heights[c]).join("，");
  $("asof").textContent = "截至 " + body.today + "（北京时间；" + (heights || "索引尚无本企业所在通道") + "）" + (body.truncated ? "；记录过多，仅列出最近变更的部分" : "");
  const tbody = document.querySelector("#items tbody");
  tbody.innerHTML = "";
  (body.items || []).forEach((o) => {
    const tr = document.createElement("tr");
    tr.setAttribute("data-id", o.id);
    tr.setAttribute("data-kind", o.kind);
    tr.setAttribute("data-owes", o.owes || "");
    const pick = cell(tr, "");
    if (o.kind === "credential" || o.kind === "certificate") {
      const box = document.createElement("input");
      box.type = "checkbox"; box.value = o.id; box.className = "pick";
      pick.appendChild(box);
    }
    cell(tr, o.due ? o.due + (o.deemed ? "（视为同意）" : o.overdue ? "（已逾期）" : "") : "", o.overdue && !o.deemed ? "error" : "");
    cell(tr, own(KINDS, o.kind));
    cell(tr, o.id);
    cell(tr, o.title);
    cell(tr, own(STATES, o.status) + (o.kind === "evaluation" && o.outcome ? "：" + own(STATES, o.outcome) : "") + (o.late ? "（曾逾期办理）" : ""));
    cell(tr, o.owes ? own(OWES, o.owes) : "");
    const proof = cell(tr, "");
    if (o.proof) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = "下载证明包";
      b.addEventListener("click", () => download(o.proof, o.id + ".proof.json"));
      proof.appendChild(b);
    }
    tbody.appendChild(tr);
  });
  $("items").setAttribute("data-loaded", String((body.items || []).length));
}

// download fetches a proof bundle with the key (agreements' and
// applications' bundles need one) and saves it.
async function download(path, name) {
  try {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + key } });
    if (!r.ok) throw new Error(String(r.status));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await r.blob());
    a.download = name;
    a.click();
  } catch (err) {
    $("presented").textContent = "未能下载证明包：" + err.message;
  }
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!key) key = $("apikey").value.trim();
  try {
    await load();
    sessionStorage.setItem(KEY, key);
    $("login").hidden = true; $("app").hidden = false; $("who").hidden = false;
  } catch (err) {
    if (err.refused) { key = ""; sessionStorage.removeItem(KEY); } // a key refused; kept through an outage
    $("login-error").textContent = "登录失败：" + err.message;
  }
});

$("present").addEventListener("click", async () => {
  const items = Array.from(document.querySelectorAll("input.pick:checked")).map((b) => b.value);
  const out = $("presented");
  if (!items.length) { out.textContent = "请先勾选电子凭证或登记证书"; return; }
  let r, text;
  try {
    r = await fetch("/api/v1/presentations", {
      method: "POST", headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
      body: JSON.stringify({ items: items, audience: $("audience").value.trim() }),
    });
    text = await r.text();
  } catch (err) {
    out.setAttribute("data-ok", "false");
    out.textContent = "未能生成：" + err.message;
    return;
  }
  if (!r.ok) {
    let detail = text;
    try { detail = JSON.parse(text).detail || detail; } catch (_) { /* the text itself */ }
    out.setAttribute("data-ok", "false");
    out.textContent = "未能生成：" + detail;
    return;
  }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  a.download = "presentation.json";
  a.textContent = "下载出示包（" + items.length + " 项，" + text.length + " 字节）";
  out.textContent = "";
  out.setAttribute("data-ok", "true");
  out.setAttribute("data-bytes", String(text.length));
  out.appendChild(a);
});

$("logout").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.reload(); });
if (key) $("login").dispatchEvent(new Event("submit"));
