// The verification page: no framework, no CDN. It validates a number's
// check character as it is typed (GB 32100 mod 31, as the ledger does),
// then asks the gateway, and shows why the answer is what it is: the chain
// of authority the ledger checked, link by link, in the verifier's
// language, with every time in China time (北京时间).
(function () {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var lang = "zh";
  // What a verification (and each of its links) can say: SPEC §5.
  var STATUS = {
    valid: ["有效", "Valid"], suspended: ["已暂停", "Suspended"], revoked: ["已撤销", "Revoked"],
    "authorization-ended": ["授权已终止", "Authorization ended"], expired: ["已过期", "Expired"],
    pending: ["尚未生效", "Not yet in force"], "not-found": ["未登记", "Not registered"], tampered: ["内容被篡改", "Tampered"]
  };
  // A linked record's own state (party, agreement, key, credential, certificate).
  var STATE = {
    active: ["正常", "active"], suspended: ["已暂停", "suspended"], exited: ["已退出", "exited"],
    signed: ["已签订", "signed"], filed: ["已备案", "filed"], changed: ["已变更", "changed"],
    terminated: ["已终止", "terminated"], revoked: ["已撤销", "revoked"], retired: ["已停用", "retired"], valid: ["有效", "valid"]
  };
  var KINDS = {
    certificate: ["登记证书", "Registration certificate"], credential: ["电子凭证", "Credential"],
    agreement: ["授权协议", "Agreement"], party: ["经营主体", "Party"], issuerKey: ["发证密钥", "Issuer key"]
  };
  var ROLES = {
    scenario: ["场景授权协议", "Scenario agreement"], catalog: ["目录授权协议", "Catalog agreement"],
    enterprise: ["经营主体（登记企业）", "Enterprise (registrant)"], holder: ["经营主体（被授权方）", "Party (holder)"]
  };
  var LABELS = {
    authorizationNumber: ["授权编号", "Authorization number"], holderName: ["被授权主体名称", "Holder"], holderCreditCode: ["统一社会信用代码", "Credit code"],
    scope: ["授权范围", "Scope"], validFrom: ["授权期限（起）", "Valid from"], validUntil: ["授权期限（止）", "Valid until"],
    issuingDepartment: ["发证部门", "Issuing department"], issueDate: ["发证日期", "Issue date"], divisionCode: ["行政区划代码", "Division code"],
    channel: ["账本通道", "Channel"], agreementDigest: ["授权协议摘要（SM3）", "Agreement digest (SM3)"], issuerKeyId: ["发证密钥标识", "Issuer key ID"],
    certificateName: ["证书名称", "Certificate"], productName: ["数据产品名称", "Product"], registrationNumber: ["登记号", "Registration number"],
    productType: ["产品类型", "Product type"], enterpriseName: ["经营主体", "Enterprise"], enterpriseCreditCode: ["统一社会信用代码", "Credit code"],
    updateCycle: ["数据更新周期", "Update cycle"], applicationScenario: ["应用场景", "Scenario"], registrationDate: ["登记日期", "Registration date"],
    authorizationNumbers: ["授权编号", "Authorizations"], resourceIds: ["数据资源", "Data resources"], preExisting: ["存量产品直接登记", "Pre-existing product"],
    txId: ["区块链编号（交易ID）", "Transaction ID"], blockNumber: ["区块高度", "Block"], time: ["上链时间", "Committed at"],
    at: ["状态判定时间", "Status as of"]
  };
  // Timeline verbs: every action a credential's or certificate's record
  // (or what it rests on) can carry; workflow steps and others for
  // completeness.
  var ACTIONS = {
    register: ["登记", "Registered"], issue: ["发证", "Issued"], suspend: ["暂停", "Suspended"], reinstate: ["恢复", "Reinstated"],
    revoke: ["撤销", "Revoked"], exit: ["退出", "Exited"], terminate: ["终止", "Terminated"], retire: ["停用", "Retired"],
    record: ["签订协议", "Agreement recorded"], file: ["备案", "Filed"], change: ["变更", "Changed"],
    "national-registration": ["国家平台登记", "Registered on the national platform"],
    objection: ["提出异议", "Objection filed"], objection_decision: ["异议决定", "Objection decided"], decide: ["异议决定", "Objection decided"],
    "confirm-destruction": ["确认数据销毁", "Data destruction confirmed"],
    apply: ["申请登记", "Applied"], preliminary_review: ["初审", "Preliminary review"], extend_compliance_review: ["延长合规审查", "Compliance review extended"],
    compliance_review: ["合规审查", "Compliance review"], agreement_filed: ["场景协议备案", "Scenario agreement filed"], development: ["开始开发", "Development started"],
    consistency_verification: ["一致性核验", "Consistency verification"], public_notice: ["公示", "Public notice"],
    "egress-passed": ["出域核查通过", "Egress check passed"], "egress-failed": ["出域核查未通过", "Egress check failed"],
    received: ["交易场所已接收", "Received by the exchange"], listed: ["挂牌", "Listed"], delisted: ["摘牌", "Delisted"],
    bootstrap: ["建立辖区", "Jurisdiction set up"], "set-profile": ["设定政策", "Profile set"], "adopt-profile": ["采用政策", "Profile adopted"],
    "bench-load": ["压测载入", "Bench load"]
  };
  var TYPES = { dataset: "数据集", model: "数据模型", api: "数据接口", report: "数据报告", service: "数据服务", other: "其他" };
  var CST = ["北京时间", "Beijing time"];
  function t(pair) { return pair ? pair[lang === "zh" ? 0 : 1] : ""; }
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // chinaTime shows an RFC 3339 time (UTC with nanoseconds, or any offset)
  // as China time to the second, "2026-12-02 05:26:42": computed as UTC+8,
  // whatever the browser's zone. Anything else is returned as given.
  var RFC3339 = /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})/;
  function chinaTime(s) {
    var m = RFC3339.exec(s || "");
    if (!m) { return s || ""; }
    var ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    if (m[7] !== "Z") { ms -= (m[7].charAt(0) === "-" ? -1 : 1) * (+m[7].substr(1, 2) * 60 + +m[7].substr(4, 2)) * 60000; }
    var d = new Date(ms + 8 * 3600000);
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return d.getUTCFullYear() + "-" + p(d.getUTCMonth() + 1) + "-" + p(d.getUTCDate()) + " " + p(d.getUTCHours()) + ":" + p(d.getUTCMinutes()) + ":" + p(d.getUTCSeconds());
  }
  // labelledTime is a time as shown: "北京时间 2026-12-02 05:26:42".
  function labelledTime(s) { return RFC3339.test(s || "") ? t(CST) + " " + chinaTime(s) : (s || ""); }
  // inChinaTime rewrites any raw RFC 3339 time inside a sentence (a
  // recorded reason may carry one) as China time.
  function inChinaTime(text) {
    return (text || "").replace(new RegExp(RFC3339.source, "g"), function (m) { return labelledTime(m); });
  }
  // shortID shows a 64-hex key ID (or a transaction ID) by its ends.
  function shortID(s) { return /^[0-9a-fA-F]{64}$/.test(s || "") ? s.slice(0, 8) + "…" + s.slice(-8) : (s || ""); }

  // check tells whether a number is well formed, and why not.
  function check(s) {
    var m = /^(SQ|DJ)-(\d{6})-(\d{4})-([0-9A-Z]{8})-([0-9A-Z])$/.exec(s);
    if (!m) { return [false, ["格式：SQ/DJ-行政区划代码-年份-8位序列-校验位", "Form: SQ/DJ-division-year-serial-check"]]; }
    var body = m[2] + m[3] + m[4], sum = 0, w = 1;
    for (var i = 0; i < body.length; i++) {
      var v = ALPHABET.indexOf(body.charAt(i));
      if (v < 0) { return [false, ["序列含有无效字符（不含 I O Z S V）", "The serial has a character outside the code set"]]; }
      sum += v * w; w = (w * 3) % 31;
    }
    var want = ALPHABET.charAt((31 - sum % 31) % 31);
    if (m[5] !== want) { return [false, ["校验位不符，编号可能输入有误", "The check character does not match: the number is mistyped"]]; }
    return [true, null];
  }

  function onType() {
    var input = $("number"), s = input.value.trim().toUpperCase(), r = check(s);
    input.className = s === "" ? "" : (r[0] ? "good" : "bad");
    $("hint").textContent = s === "" || r[0] ? "" : t(r[1]);
    $("go").disabled = !r[0];
    return r[0];
  }

  function row(dl, label, value) {
    var dt = el("dt", "", label), dd = el("dd", "", value);
    dl.appendChild(dt); dl.appendChild(dd);
  }

  // sentence is a reason in the page's language: 中文 first, the English
  // where there is no Chinese.
  function sentence(o) { return inChinaTime(lang === "zh" ? (o.reasonZh || o.reason) : (o.reason || o.reasonZh)); }

  function statusBadge(status, cls) {
    var b = el("span", cls + " " + status, t(STATUS[status]) || status);
    b.setAttribute("data-status", status);
    return b;
  }

  // links draws the chain of authority in the order the ledger checked it
  // (certificate → agreement → credential → enterprise → issuer key), each
  // link with its status, time and sentence; the link that decided a
  // status other than valid is marked.
  function drawLinks(v) {
    var ol = $("links"); ol.innerHTML = "";
    var links = v.links || [], cause = v.cause, marked = false;
    $("authority").hidden = links.length === 0;
    links.forEach(function (l) {
      var li = el("li", "link " + l.status);
      li.setAttribute("data-kind", l.kind);
      li.setAttribute("data-status", l.status);
      li.setAttribute("data-number", l.number);
      if (cause && !marked && cause.kind === l.kind && cause.number === l.number && cause.status === l.status) {
        marked = true;
        li.className += " cause";
        li.setAttribute("data-cause", "true");
      }
      var head = el("div", "link-head");
      var kind = l.kind === "agreement" || l.kind === "party" ? (ROLES[l.role] || KINDS[l.kind]) : KINDS[l.kind];
      head.appendChild(el("span", "kind", t(kind) || l.kind));
      head.appendChild(statusBadge(l.status, "link-status"));
      if (li.getAttribute("data-cause")) { head.appendChild(el("span", "cause-mark", lang === "zh" ? "决定核验结果的环节" : "decided the answer")); }
      li.appendChild(head);
      var num = el("div", "number", shortID(l.number));
      num.title = l.number;
      li.appendChild(num);
      var facts = [];
      if (l.kind === "issuerKey" && l.role) { facts.push((lang === "zh" ? "发证部门：" : "department: ") + l.role); }
      if (l.state) { facts.push((lang === "zh" ? "记录状态：" : "record: ") + (t(STATE[l.state]) || l.state)); }
      if (l.time) { facts.push(labelledTime(l.time)); }
      if (l.txId) { facts.push((lang === "zh" ? "交易 " : "tx ") + l.txId.slice(0, 16) + "…"); }
      if (facts.length) { li.appendChild(el("div", "facts", facts.join(" · "))); }
      li.appendChild(el("p", "sentence", sentence(l)));
      ol.appendChild(li);
    });
  }

  // actionName is a timeline entry's verb; an objection's decision is named
  // by its outcome where the entry tells it.
  function actionName(it) {
    var a = it.action || "", r = it.reason || "";
    if (a === "decide" || a === "objection_decision") {
      // The outcome as the gateway read it from the version; the free-text
      // reason is never trusted to name it.
      if (it.outcome === "data_destruction_ordered") { return ["异议成立，撤销登记并责令销毁数据", "Objection upheld: data destruction ordered"]; }
      if (it.outcome === "registration_revoked" || it.status === "revoked") { return ["异议成立，撤销登记", "Objection upheld: registration revoked"]; }
      if (it.status === "valid") { return ["异议已决定，登记继续有效", "Objection decided: registration stays in force"]; }
      return ACTIONS.decide;
    }
    if (/with its agreement/.test(r) && (a === "terminate" || a === "revoke")) { return a === "terminate" ? ["协议终止", "Agreement terminated"] : ["协议撤销", "Agreement revoked"]; }
    if (a === "" && it.status === "suspended") { return ACTIONS.objection; }
    return ACTIONS[a] || [a || "变更", a || "changed"];
  }

  function drawTimeline(items) {
    var ol = $("timeline"); ol.innerHTML = "";
    (items || []).forEach(function (it) {
      var li = el("li");
      li.setAttribute("data-action", it.action || "");
      li.appendChild(el("span", "when", labelledTime(it.time)));
      li.appendChild(document.createTextNode(" · "));
      li.appendChild(el("strong", "verb", t(actionName(it))));
      li.appendChild(document.createTextNode(" → "));
      li.appendChild(statusBadge(it.status, "link-status"));
      var rest = "";
      if (it.reason) { rest += " · " + inChinaTime(it.reason); }
      if (it.by) { rest += " · " + it.by; }
      rest += " · " + (lang === "zh" ? "交易 " : "tx ") + (it.txId || "").slice(0, 16) + "…";
      li.appendChild(document.createTextNode(rest));
      ol.appendChild(li);
    });
  }

  function render(v, number) {
    $("result").hidden = false;
    $("result").setAttribute("data-lang", lang); // the language the answer was drawn in
    var badge = $("badge");
    badge.className = "badge " + v.status; badge.id = "badge"; badge.textContent = t(STATUS[v.status]) || v.status;
    badge.setAttribute("data-status", v.status);
    $("reason").textContent = sentence(v);
    var chain = $("chain"); chain.innerHTML = "";
    if (v.txId) {
      row(chain, t(LABELS.channel), v.channel);
      row(chain, t(LABELS.txId), v.txId);
      if (v.blockNumber !== undefined) { row(chain, t(LABELS.blockNumber), String(v.blockNumber)); }
      row(chain, t(LABELS.time), labelledTime(v.time));
      if (v.at) { row(chain, t(LABELS.at), labelledTime(v.at)); }
    }
    var nat = v.record && v.record.nationalRegistration;
    if (nat) { // the national platform's registration, where recorded
      row(chain, lang === "zh" ? "国家登记平台" : "National platform", nat.platform);
      row(chain, lang === "zh" ? "登记结果查询码" : "National query code", nat.queryCode);
      if (nat.unifiedCode) { row(chain, lang === "zh" ? "统一编码" : "Unified code", nat.unifiedCode); }
    }
    drawLinks(v);
    var fields = $("fields"); fields.innerHTML = "";
    var doc = v.record && v.record.document ? v.record.document : null;
    if (doc) {
      Object.keys(LABELS).forEach(function (k) {
        if (doc[k] === undefined || k === "txId") { return; }
        var val = doc[k];
        if (k === "productType") { val = lang === "zh" ? (TYPES[val] || val) : val; }
        if (Array.isArray(val)) { val = val.join(", "); }
        if (typeof val === "boolean") { val = val ? (lang === "zh" ? "是" : "yes") : (lang === "zh" ? "否" : "no"); }
        row(fields, t(LABELS[k]), String(val));
      });
      if (doc.chainReference) { row(fields, lang === "zh" ? "区块链编号" : "Chain reference", doc.chainReference.channel + "/" + doc.chainReference.txId); }
    }
    proofOf(v, number);
    $("qr").src = "/qr/" + encodeURIComponent(number) + ".png";
    $("timeline").innerHTML = "";
    if (!v.txId) { return; }
    fetch("/api/v1/verify/" + encodeURIComponent(number) + "/timeline").then(function (r) { return r.ok ? r.json() : []; }).then(drawTimeline);
  }

  // The proof bundle: fetched, checked by the verifier with the network's
  // roots pinned, each check listed; offered for download to re-check offline.
  function proofOf(v, number) {
    var ul = $("proof"); ul.innerHTML = "";
    var kind = number.indexOf("SQ-") === 0 ? "credentials" : "certificates";
    var url = "/api/v1/" + kind + "/" + encodeURIComponent(number) + "/proof";
    var a = $("bundle");
    a.hidden = !v.txId;
    if (!v.txId) { return; }
    a.href = url; a.setAttribute("download", number + ".proof.json");
    fetch(url).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (bundle) { return fetch("/api/v1/proofs/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: bundle }); })
      .then(function (r) { return r.json(); })
      .then(function (rep) {
        ul.setAttribute("data-ok", String(!!rep.ok));
        (rep.checks || []).forEach(function (c) {
          var li = el("li", c.ok ? "ok" : "bad");
          li.appendChild(el("code", "", c.name)); li.appendChild(document.createTextNode(c.detail));
          ul.appendChild(li);
        });
        // The status the bundle's own records give, as of its blocks.
        var d = rep.derived;
        if (d) {
          var li = document.createElement("li");
          li.className = d.status === "valid" ? "ok" : "bad";
          var code = document.createElement("code"); code.textContent = lang === "zh" ? "证明包推导状态" : "derived status";
          li.appendChild(code);
          li.appendChild(document.createTextNode(lang === "zh" ? d.reasonZh + "（依证明包所含区块中的记录）" : d.reason + " (" + rep.statusNote + ")"));
          ul.appendChild(li);
        }
      })
      .catch(function () { ul.setAttribute("data-ok", "false"); ul.appendChild(el("li", "bad", lang === "zh" ? "无法取得证明包" : "the proof bundle could not be fetched")); });
  }

  // A file an enterprise presented: a presentation (its items, each with
  // its bundle's checks) or a single bundle, verified by the gateway with
  // the network's roots pinned; every check is listed, per item.
  function checksList(checks) {
    var ul = el("ul", "checks");
    (checks || []).forEach(function (c) {
      var li = el("li", c.ok ? "ok" : "bad");
      li.appendChild(el("code", "", c.name)); li.appendChild(document.createTextNode(c.detail));
      ul.appendChild(li);
    });
    return ul;
  }
  function own(table, key) { return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : [String(key), String(key)]; }
  function showPresented(rep) {
    var box = $("items"); box.innerHTML = "";
    box.setAttribute("data-ok", String(!!rep.ok));
    var presentation = rep.format === "dataledger-presentation/1";
    var items = presentation ? (rep.items || []) :
      [{ kind: rep.kind, number: rep.number, ok: rep.ok, checks: [], bundle: rep }]; // a bundle
    var signed = rep.signedBy ? (lang === "zh" ? "，由 " + rep.signedBy + " 于 " + rep.signedAt + " 签署" : ", signed by " + rep.signedBy + " at " + rep.signedAt) : "";
    var audience = rep.audience ? (lang === "zh" ? "，出示对象：" + rep.audience : ", made for " + rep.audience) : "";
    $("presented").textContent = presentation ?
      (lang === "zh" ? (rep.ok ? "出示有效：" : "出示无效：") + "经营主体 " + rep.holder + "，共 " + items.length + " 项" + signed + audience + "；各项状态以其证明包所含区块为准"
        : (rep.ok ? "Valid presentation" : "Invalid presentation") + " by " + rep.holder + ", " + items.length + " item(s)" + signed + audience + "; each status holds as of its bundle's blocks") :
      (lang === "zh" ? (rep.ok ? "证明包有效" : "证明包无效") : (rep.ok ? "The bundle verifies" : "The bundle does not verify"));
    if (presentation) { box.appendChild(checksList(rep.checks)); }
    items.forEach(function (it) {
      var sec = el("div", "item " + (it.ok ? "ok" : "bad"));
      sec.setAttribute("data-number", it.number || "");
      sec.setAttribute("data-ok", String(!!it.ok));
      // The status the file states is shown as stated; only a verified item's is its status.
      var stated = it.status ? " · " + (it.ok ? "" : (lang === "zh" ? "声称" : "stated ")) + t(own(STATUS, it.status)) : "";
      sec.appendChild(el("h3", "", t(own(KINDS, it.kind)) + " " + (it.number || "") + stated + (it.at ? (lang === "zh" ? "（状态判定时间 " : " (status as of ") + it.at + (lang === "zh" ? "）" : ")") : "")));
      sec.appendChild(checksList(it.checks));
      if (it.bundle) { sec.appendChild(checksList(it.bundle.checks)); }
      box.appendChild(sec);
    });
  }
  $("file").addEventListener("change", function () {
    var f = $("file").files[0];
    if (!f) { return; }
    f.text().then(function (body) { return fetch("/api/v1/proofs/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: body }); })
      .then(function (r) { return r.json(); })
      .then(function (rep) {
        if (rep.ok === undefined) { $("items").innerHTML = ""; $("items").setAttribute("data-ok", "false"); $("presented").textContent = rep.detail || rep.title; return; }
        showPresented(rep);
      })
      .catch(function () { $("items").setAttribute("data-ok", "false"); $("presented").textContent = lang === "zh" ? "无法核验该文件" : "the file could not be verified"; });
  });

  function verify(number) {
    history.replaceState(null, "", "/verify/" + encodeURIComponent(number));
    fetch("/api/v1/verify/" + encodeURIComponent(number)).then(function (r) { return r.json(); }).then(function (v) {
      if (v.status === undefined) { v = { status: "not-found", reason: v.detail || v.title }; }
      render(v, number);
    });
  }

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    Array.prototype.forEach.call(document.querySelectorAll("[data-zh]"), function (e) { e.textContent = e.getAttribute("data-" + lang); });
    onType();
  }

  $("number").addEventListener("input", onType);
  $("lookup").addEventListener("submit", function (e) { e.preventDefault(); if (onType()) { verify($("number").value.trim().toUpperCase()); } });
  $("lang").addEventListener("click", function () { lang = lang === "zh" ? "en" : "zh"; applyLang(); if (!$("result").hidden) { verify($("number").value.trim().toUpperCase()); } });
  $("print").addEventListener("click", function () { window.print(); });
  applyLang();
  if ($("number").value && onType()) { verify($("number").value.trim().toUpperCase()); }
}());
