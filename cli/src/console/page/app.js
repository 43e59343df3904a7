// pyun console: the page's script. Everything it shows comes from /api/... and is put in the
// page as text (never as HTML). Live updates: /api/summary every 2 s; when an outbox's event
// cursor moved, the chart and dead letters are read again.
"use strict";
(function () {
  const meta = (n) => document.querySelector('meta[name="' + n + '"]').content;
  const TOKEN = meta("pyun-token");
  const LANG = meta("pyun-lang");
  const READ_ONLY = meta("pyun-read-only") === "1";
  const T = {
    en: {
      title: "pyun console", now: "Now", outbox: "Outbox", pending: "Pending", in_flight: "In flight",
      delivered: "Delivered", dead: "Dead", oldest: "Oldest pending", delivery: "Delivery",
      chart: "Last 24 hours", search: "Search", search_button: "Search",
      search_hint: "plate / parking_serial / pay_serial", dead_letters: "Dead letters",
      endpoint: "Endpoint", key: "Key", attempts: "Attempts", error: "Error", hint: "Platform's hint",
      diagnosis: "Diagnosis", purge_label: "Purge delivered records older than", days: "days",
      purge_button: "Purge", footer: "Charts by", running: "running", paused: "PAUSED",
      paused_until: "until", requeue: "Requeue", requeue_all: "Requeue all of this cause",
      confirm_requeue: "Put dead letter #{0} back in the queue?",
      confirm_requeue_cause: "Put all {0} dead letters of this cause back in the queue?",
      confirm_purge: "Delete delivered records older than {0} days? This cannot be undone.",
      requeued: "{0} record(s) put back in the queue", purged: "{0} delivered record(s) purged",
      enqueued_min: "enqueued / min", accepted_min: "accepted / min", pushes_min: "pushes received / min",
      p50: "latency p50 (s)", p95: "latency p95 (s)", p99: "latency p99 (s)",
      records: "Records", pushes: "Pushes", none: "nothing found", story: "Story of record",
      push: "Push", handled: "handled", not_handled: "NOT handled", events: "Events",
      fields: "Fields", answer: "Platform's last answer", state: "State", updated: "updated",
      pushes_summary: "Pushes received: {0}, not handled: {1}", cause: "Cause", count: "Count",
      read_only: "read-only", ago: "ago", open: "open", last_error: "Last error",
      plate: "plate", kind: "kind", sec: "{0} s", min: "{0} min", hours: "{0} h",
    },
    zh: {
      title: "pyun 控制台", now: "当前状态", outbox: "发件箱", pending: "待发送", in_flight: "发送中",
      delivered: "已送达", dead: "死信", oldest: "最早待发送", delivery: "投递",
      chart: "最近 24 小时", search: "查询", search_button: "查询",
      search_hint: "车牌 / parking_serial / pay_serial", dead_letters: "死信",
      endpoint: "接口", key: "键", attempts: "尝试次数", error: "错误", hint: "平台提示",
      diagnosis: "诊断", purge_label: "清除早于以下天数的已送达记录", days: "天",
      purge_button: "清除", footer: "图表：", running: "正常", paused: "已暂停",
      paused_until: "直到", requeue: "重新排队", requeue_all: "此原因全部重新排队",
      confirm_requeue: "将死信 #{0} 重新放回队列？",
      confirm_requeue_cause: "将此原因的全部 {0} 条死信重新放回队列？",
      confirm_purge: "删除早于 {0} 天的已送达记录？此操作不可撤销。",
      requeued: "已重新排队 {0} 条记录", purged: "已清除 {0} 条已送达记录",
      enqueued_min: "入队 / 分钟", accepted_min: "送达 / 分钟", pushes_min: "收到推送 / 分钟",
      p50: "延迟 p50（秒）", p95: "延迟 p95（秒）", p99: "延迟 p99（秒）",
      records: "记录", pushes: "推送", none: "未找到", story: "记录详情",
      push: "推送", handled: "已处理", not_handled: "未处理", events: "事件",
      fields: "字段", answer: "平台最近应答", state: "状态", updated: "更新于",
      pushes_summary: "收到推送 {0} 条，未处理 {1} 条", cause: "原因", count: "数量",
      read_only: "只读", ago: "前", open: "查看", last_error: "最近错误",
      plate: "车牌", kind: "类型", sec: "{0} 秒", min: "{0} 分钟", hours: "{0} 小时",
      // A record's state and an event's kind, as the stores write them (English shows them so).
      "state:pending": "待发送", "state:in_flight": "发送中", "state:paused": "已暂停",
      "state:done": "已送达", "state:dead": "死信",
      "event:accepted": "已接收", "event:dead": "转为死信", "event:requeued": "重新排队",
    },
  };
  const dict = T[LANG] || T.en;
  const t = (k, ...a) => (dict[k] || T.en[k] || k).replace(/\{(\d)\}/g, (_, i) => String(a[+i]));
  // A stored word (a state, an event's kind) in the page's language; as stored otherwise.
  const word = (group, w) => dict[group + ":" + w] || w;
  const $ = (s) => document.querySelector(s);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const row = (cells) => {
    const tr = el("tr");
    cells.forEach((c) => tr.appendChild(c instanceof Node ? c : el("td", c)));
    return tr;
  };
  const num = (n) => el("td", n, "num");
  const when = (ms) => (ms ? new Date(ms).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB") : "");
  const age = (ms, now) => {
    if (!ms) return "";
    const s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 120) return t("sec", s);
    if (s < 7200) return t("min", Math.round(s / 60));
    return t("hours", Math.round(s / 3600));
  };
  const message = (m) => { $("#message").textContent = m; };

  // Every request names the page's language: the console's refusals and errors come in it.
  async function api(path, opts) {
    path += (path.includes("?") ? "&" : "?") + "lang=" + LANG;
    const r = await fetch(path, Object.assign({ credentials: "same-origin" }, opts || {}));
    // An answer of the API is JSON; a refusal of the gate one line of text (shown as it is).
    const text = await r.text();
    let body;
    try { body = JSON.parse(text); } catch (_) { body = { error: text.trim() || r.status + " " + r.statusText }; }
    if (!r.ok) throw new Error(body.error || String(r.status));
    return body;
  }
  const act = (path) => api(path, { method: "POST", headers: { "X-Pyun-Token": TOKEN } });

  // Texts of the static page, and the token out of the address bar (it lives in a cookie now).
  document.documentElement.lang = LANG;
  document.querySelectorAll("[data-t]").forEach((e) => { e.textContent = t(e.dataset.t); });
  document.querySelectorAll("[data-tp]").forEach((e) => { e.placeholder = t(e.dataset.tp); });
  document.title = t("title");
  if (location.search.includes("token=")) history.replaceState(null, "", "/?lang=" + LANG);
  if (READ_ONLY) document.querySelectorAll(".action").forEach((e) => { e.hidden = true; });

  let cursors = null;
  let outboxCount = 0;

  function renderSummary(s) {
    const body = $("#outboxes tbody");
    body.textContent = "";
    s.outboxes.forEach((o) => {
      const tr = row([
        el("td", o.path),
        num(o.counts.pending), num(o.counts.in_flight), num(o.counts.done), num(o.counts.dead),
        el("td", age(o.oldest_pending_ms, s.now_ms)),
      ]);
      tr.id = "ob-" + o.index;
      ["path", "pending", "in_flight", "done", "dead", "oldest"].forEach((c, i) => tr.children[i].classList.add(c));
      const d = el("td");
      if (o.paused) {
        d.appendChild(el("div", t("paused") + " " + t("paused_until") + " " + when(o.paused.until_ms), "paused"));
        if (o.paused.message || o.paused.hint) d.appendChild(el("div", [o.paused.code, o.paused.message, o.paused.hint].filter(Boolean).join(" "), "hint"));
        d.appendChild(el("div", o.paused.reason_text || o.paused.reason));
        if (o.paused.diagnosis) d.appendChild(el("div", o.paused.diagnosis_text || o.paused.diagnosis, "hint"));
      } else {
        d.appendChild(el("span", t("running"), "ok"));
        if (o.head && o.head.last_error) d.appendChild(el("div", t("last_error") + ": " + (o.head.last_error_text || o.head.last_error), "hint"));
      }
      d.classList.add("delivery");
      tr.appendChild(d);
      body.appendChild(tr);
    });
    $("#pushes-summary").textContent = s.pushes ? t("pushes_summary", s.pushes.total, s.pushes.unhandled) : "";
    $("#updated").textContent = t("updated") + " " + when(s.now_ms) + (s.read_only ? " · " + t("read_only") : "");
    if (outboxCount !== s.outboxes.length) {
      outboxCount = s.outboxes.length;
      ["#chart-outbox", "#dead-outbox"].forEach((sel) => {
        const box = $(sel);
        box.textContent = "";
        s.outboxes.forEach((o) => { const op = el("option", o.path); op.value = o.index; box.appendChild(op); });
      });
    }
  }

  const charts = {};
  function plot(id, title, data, series) {
    const width = Math.max(320, Math.min(1100, document.body.clientWidth - 40));
    if (charts[id]) { charts[id].setData(data); return; }
    charts[id] = new uPlot({
      title, width, height: 200,
      // Points drawn too: a minute with records between empty ones is one point, no line.
      series: [{}].concat(series.map((s) => ({ label: s[0], stroke: s[1], width: 1.5, points: { show: true, size: 4 } }))),
      axes: [{}, {}],
    }, data, $(id));
  }
  async function loadChart() {
    const c = await api("/api/chart?outbox=" + ($("#chart-outbox").value || 0));
    const sec = (a) => a.map((v) => (v === null ? null : v / 1000));
    plot("#chart", t("enqueued_min") + " · " + t("accepted_min"), [c.minute, c.enqueued, c.accepted],
      [[t("enqueued_min"), "#36c"], [t("accepted_min"), "#393"]]);
    plot("#chart-latency", t("p50") + " · " + t("p95") + " · " + t("p99"),
      [c.minute, sec(c.p50_ms), sec(c.p95_ms), sec(c.p99_ms)],
      [[t("p50"), "#393"], [t("p95"), "#c93"], [t("p99"), "#c33"]]);
    if (c.pushes) plot("#chart-pushes", t("pushes_min"), [c.minute, c.pushes], [[t("pushes_min"), "#639"]]);
    window.pyunChart = c;
  }

  async function loadDead() {
    const i = $("#dead-outbox").value || 0;
    const d = await api("/api/dead?outbox=" + i);
    const causes = $("#causes");
    causes.textContent = "";
    if (d.causes.length) {
      const table = el("table");
      table.appendChild(row([el("th", t("cause")), el("th", t("count")), el("th", t("diagnosis")), el("th")]));
      d.causes.forEach((c) => {
        const b = el("button", t("requeue_all"), "requeue-cause action");
        b.hidden = READ_ONLY;
        b.onclick = () => {
          if (!confirm(t("confirm_requeue_cause", c.count))) return;
          act("/api/requeue?outbox=" + i + "&cause=" + encodeURIComponent(c.cause))
            .then((r) => { message(t("requeued", r.requeued)); refresh(true); }, (e) => message(e.message));
        };
        const td = el("td"); td.appendChild(b);
        table.appendChild(row([el("td", c.cause, "hint"), num(c.count), el("td", c.diagnosis || "", "hint"), td]));
      });
      causes.appendChild(table);
    }
    const body = $("#dead tbody");
    body.textContent = "";
    d.letters.forEach((l) => {
      const b = el("button", t("requeue"), "requeue action");
      b.dataset.id = l.id;
      b.hidden = READ_ONLY;
      b.onclick = () => {
        if (!confirm(t("confirm_requeue", l.id))) return;
        act("/api/requeue?outbox=" + i + "&id=" + l.id)
          .then((r) => { message(t("requeued", r.requeued)); refresh(true); }, (e) => message(e.message));
      };
      const td = el("td"); td.appendChild(b);
      const hint = l.response && typeof l.response === "object" ? [l.response.code, l.response.message, l.response.hint].filter(Boolean).join(" ") : "";
      const tr = row([num(l.id), el("td", l.endpoint), el("td", l.key), num(l.attempts), el("td", l.error_text || l.error, "hint"),
        el("td", hint, "hint"), el("td", l.diagnosis_text || l.diagnosis || "", "hint"), td]);
      tr.id = "dead-" + l.id;
      body.appendChild(tr);
    });
  }

  async function showRecord(outbox, id) {
    const r = await api("/api/record?outbox=" + outbox + "&id=" + id);
    const story = $("#story");
    story.textContent = "";
    story.appendChild(el("h3", t("story") + " #" + id + " · " + r.status.endpoint + " " + r.status.key));
    const st = r.status;
    story.appendChild(el("p", t("state") + ": " + word("state", st.state) + " · " + t("attempts") + ": " + st.attempts +
      (st.last_error ? " · " + t("last_error") + ": " + (st.last_error_text || st.last_error) : "") +
      (st.diagnosis ? " · " + t("diagnosis") + ": " + (st.diagnosis_text || st.diagnosis) : "")));
    const ev = el("table");
    ev.appendChild(row([el("th", t("events")), el("th"), el("th"), el("th")]));
    r.events.forEach((e) => ev.appendChild(row([when(e.at_ms), word("event", e.kind), e.seqno || "", e.reason_text || e.reason || ""])));
    story.appendChild(ev);
    story.appendChild(el("h4", t("answer")));
    story.appendChild(el("pre", JSON.stringify(r.response, null, 2)));
    story.appendChild(el("h4", t("fields")));
    story.appendChild(el("pre", JSON.stringify(r.fields, null, 2)));
  }

  async function showPush(id) {
    const p = await api("/api/push?id=" + id);
    const story = $("#story");
    story.textContent = "";
    story.appendChild(el("h3", t("push") + " #" + p.id + " · " + p.kind + " " + p.key));
    story.appendChild(el("p", (p.handled_at ? t("handled") + " " + when(p.handled_at) : t("not_handled") +
      (p.last_error ? ": " + p.last_error : "")) + " · " + p.deliveries + "×"));
    story.appendChild(el("pre", JSON.stringify(p.fields, null, 2)));
  }

  async function search(ev) {
    ev.preventDefault();
    const q = $("#q").value.trim();
    if (!q) return;
    const out = $("#results");
    out.textContent = "";
    try {
      const r = await api("/api/search?q=" + encodeURIComponent(q));
      if (!r.records.length && !r.pushes.length) { out.appendChild(el("p", t("none"))); return; }
      if (r.records.length) {
        const table = el("table"); table.id = "found-records";
        table.appendChild(row([el("th", t("records")), el("th", t("outbox")), el("th", t("endpoint")), el("th", t("key")), el("th", t("plate")), el("th", t("state")), el("th")]));
        r.records.forEach((x) => {
          const b = el("button", t("open"), "open-record");
          b.onclick = () => showRecord(x.outbox, x.id).catch((e) => message(e.message));
          const td = el("td"); td.appendChild(b);
          table.appendChild(row(["#" + x.id, x.outbox, x.endpoint, x.key, x.plate || "", word("state", x.state), td]));
        });
        out.appendChild(table);
      }
      if (r.pushes.length) {
        const table = el("table"); table.id = "found-pushes";
        table.appendChild(row([el("th", t("pushes")), el("th", t("kind")), el("th", t("key")), el("th", t("handled")), el("th")]));
        r.pushes.forEach((p) => {
          const b = el("button", t("open"), "open-push");
          b.onclick = () => showPush(p.id).catch((e) => message(e.message));
          const td = el("td"); td.appendChild(b);
          table.appendChild(row(["#" + p.id, p.kind, p.key, p.handled_at ? t("handled") : t("not_handled"), td]));
        });
        out.appendChild(table);
      }
    } catch (e) { message(e.message); }
  }

  async function refresh(force) {
    try {
      const s = await api("/api/summary");
      renderSummary(s);
      const now = s.outboxes.map((o) => o.last_event_seq + ":" + o.counts.pending + ":" + o.counts.dead).join(",");
      if (force || now !== cursors) {
        cursors = now;
        await Promise.all([loadChart(), loadDead()]);
      }
    } catch (e) { message(e.message); }
  }

  $("#search-form").addEventListener("submit", search);
  $("#chart-outbox").addEventListener("change", () => loadChart().catch((e) => message(e.message)));
  $("#dead-outbox").addEventListener("change", () => loadDead().catch((e) => message(e.message)));
  $("#purge-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const days = $("#purge-days").value;
    if (!confirm(t("confirm_purge", days))) return;
    act("/api/purge?outbox=" + ($("#dead-outbox").value || 0) + "&days=" + encodeURIComponent(days))
      .then((r) => { message(t("purged", r.purged)); refresh(true); }, (e) => message(e.message));
  });
  refresh(true);
  setInterval(refresh, 2000);
})();
