// The verification page: no framework, no CDN. It validates a number's
// check character as it is typed (GB 32100 mod 31, as the ledger does),
// then asks the gateway.
(function () {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var lang = "zh";
  var STATUS = {
    valid: ["有效", "Valid"], suspended: ["暂停（异议处理中或已暂停）", "Suspended"], revoked: ["已撤销", "Revoked"],
    expired: ["已过期", "Expired"], pending: ["尚未生效", "Not yet in force"], not_found: ["未找到", "Not found"], tampered: ["内容被篡改", "Tampered"]
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
    txId: ["区块链编号（交易ID）", "Transaction ID"], blockNumber: ["区块高度", "Block"], time: ["上链时间", "Committed at"]
  };
  var TYPES = { dataset: "数据集", model: "数据模型", api: "数据接口", report: "数据报告", service: "数据服务", other: "其他" };
  function t(pair) { return pair ? pair[lang === "zh" ? 0 : 1] : ""; }
  function $(id) { return document.getElementById(id); }

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
    var dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = label; dd.textContent = value; dl.appendChild(dt); dl.appendChild(dd);
  }

  function render(v, number) {
    $("result").hidden = false;
    var badge = $("badge");
    badge.className = "badge " + v.status; badge.id = "badge"; badge.textContent = t(STATUS[v.status]) || v.status;
    badge.setAttribute("data-status", v.status);
    $("reason").textContent = v.reason || "";
    var chain = $("chain"); chain.innerHTML = "";
    if (v.txId) {
      row(chain, t(LABELS.channel), v.channel);
      row(chain, t(LABELS.txId), v.txId);
      if (v.blockNumber !== undefined) { row(chain, t(LABELS.blockNumber), String(v.blockNumber)); }
      row(chain, t(LABELS.time), v.time);
    }
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
    fetch("/api/v1/verify/" + encodeURIComponent(number) + "/timeline").then(function (r) { return r.ok ? r.json() : []; }).then(function (items) {
      var ol = $("timeline"); ol.innerHTML = "";
      (items || []).forEach(function (it) {
        var li = document.createElement("li");
        li.textContent = it.time + " · " + it.action + " → " + it.status + (it.reason ? " · " + it.reason : "") + " · " + it.txId.slice(0, 16) + "…";
        ol.appendChild(li);
      });
    });
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
          var li = document.createElement("li");
          li.className = c.ok ? "ok" : "bad";
          var code = document.createElement("code"); code.textContent = c.name;
          li.appendChild(code); li.appendChild(document.createTextNode(c.detail));
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
      .catch(function () { ul.setAttribute("data-ok", "false"); var li = document.createElement("li"); li.className = "bad"; li.textContent = lang === "zh" ? "无法取得证明包" : "the proof bundle could not be fetched"; ul.appendChild(li); });
  }

  function verify(number) {
    history.replaceState(null, "", "/verify/" + encodeURIComponent(number));
    fetch("/api/v1/verify/" + encodeURIComponent(number)).then(function (r) { return r.json(); }).then(function (v) {
      if (v.status === undefined) { v = { status: "not_found", reason: v.detail || v.title }; }
      render(v, number);
    });
  }

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    Array.prototype.forEach.call(document.querySelectorAll("[data-zh]"), function (el) { el.textContent = el.getAttribute("data-" + lang); });
    onType();
  }

  $("number").addEventListener("input", onType);
  $("lookup").addEventListener("submit", function (e) { e.preventDefault(); if (onType()) { verify($("number").value.trim().toUpperCase()); } });
  $("lang").addEventListener("click", function () { lang = lang === "zh" ? "en" : "zh"; applyLang(); if (!$("result").hidden) { verify($("number").value.trim().toUpperCase()); } });
  $("print").addEventListener("click", function () { window.print(); });
  applyLang();
  if ($("number").value && onType()) { verify($("number").value.trim().toUpperCase()); }
}());
