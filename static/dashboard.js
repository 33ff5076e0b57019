// The dashboard's script: live numbers without reloading, and forms sent to the JSON API.
//
// Hand-written, no framework, no build step. The page works without it (the forms post to
// /ui/... and come back); with it, event numbers poll GET /events, the Redis panel polls
// GET /health, and every form with a data-api attribute is sent with fetch as JSON.
"use strict";

(() => {
  const EVENTS_EVERY_MS = 1000;
  const EVENTS_WHILE_RUNNING_MS = 250;
  const HEALTH_EVERY_MS = 5000;
  let running = false;

  // Every word this script shows comes from the page, in the page's language: the JSON data block
  // #i18n, rendered by the server from the same Fluent messages as the page. `{name}` in a string
  // is where a value goes. Numbers and times are written the page language's way.
  const block = document.getElementById("i18n");
  const WORDS = block ? JSON.parse(block.textContent) : {};
  const LANG = document.documentElement.lang || "en";
  const NUMBER = new Intl.NumberFormat(LANG);
  const DECIMAL = new Intl.NumberFormat(LANG, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  function t(key, values) {
    let text = WORDS[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split(`{${name}}`).join(String(value));
    }
    return text;
  }

  // Every request the page makes goes through here, so that a header (an admin token, say)
  // can be added in one place. Resolves to {ok, status, data}; data is the parsed JSON or null.
  async function request(method, url, body) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      data = null;
    }
    return { ok: response.ok, status: response.status, data };
  }

  // Like request, but an answer that is not 2xx becomes an Error carrying the server's message.
  async function api(method, url, body) {
    const answer = await request(method, url, body);
    if (!answer.ok) {
      const message = answer.data && answer.data.message;
      throw new Error(message || `the server answered ${answer.status}`);
    }
    return answer.data;
  }

  // The same words and colours as the server-rendered table (EventRow::verdict).
  function verdict(audit) {
    if (audit.oversold > 0) return ["bad", t("event-oversold-by", { n: NUMBER.format(audit.oversold) })];
    if (audit.negative_available) return ["bad", t("event-negative-availability")];
    if (audit.lost_updates) return ["warn", t("event-lost-updates")];
    return ["good", t("event-clean")];
  }

  function setText(scope, field, text) {
    const cell = scope.querySelector(`[data-field="${field}"]`);
    if (cell && cell.textContent !== String(text)) cell.textContent = text;
    return cell;
  }

  function showLive(text, bad) {
    const status = document.getElementById("live-status");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("bad", Boolean(bad));
  }

  async function refreshEvents() {
    try {
      const events = await api("GET", "/events");
      for (const event of events) {
        const row = document.querySelector(`tr[data-event-id="${event.id}"]`);
        if (!row) continue;
        const a = event.audit;
        setText(row, "capacity", NUMBER.format(a.capacity));
        setText(row, "available", NUMBER.format(a.available));
        setText(row, "booked", NUMBER.format(a.booked));
        setText(row, "oversold", NUMBER.format(a.oversold));
        setText(row, "lost_updates", t(a.lost_updates ? "board-yes" : "board-no"));
        const [tone, words] = verdict(a);
        const badge = setText(row, "verdict", words);
        if (badge) badge.className = `verdict ${tone}`;
      }
      showLive(t("js-live-updated", { time: new Date().toLocaleTimeString(LANG) }), false);
    } catch (_) {
      showLive(t("js-live-paused"), true);
    }
  }

  async function refreshHealth() {
    let answer;
    try {
      answer = await request("GET", "/health");
    } catch (_) {
      return;
    }
    refreshEtcd(answer.data && answer.data.etcd);
    const redis = answer.data && answer.data.redis;
    if (!redis || !Array.isArray(redis.nodes)) return;
    redis.nodes.forEach((node, i) => {
      const row = document.querySelector(`tr[data-node="${i}"]`);
      if (!row) return;
      const badge = row.querySelector('[data-field="state"] .verdict');
      if (badge) {
        badge.textContent = t(node.up ? "node-up" : "node-down");
        badge.className = `verdict ${node.up ? "good" : "bad"}`;
      }
      setText(row, "ping", node.up && node.latency_ms != null ? `${DECIMAL.format(node.latency_ms)} ms` : "–");
    });
    const quorum = document.getElementById("quorum");
    if (quorum) {
      setText(quorum, "nodes-up", t("js-up-of", { up: redis.up, total: redis.nodes.length }));
      setText(quorum, "quorum", t(redis.quorum_up ? "redis-quorum-up" : "redis-no-quorum"));
      quorum.className = redis.quorum_up ? "good" : "bad";
    }
  }

  // The etcd panel from the same /health answer: each member's state and role, the leader, the quorum.
  function refreshEtcd(etcd) {
    if (!etcd || !Array.isArray(etcd.members)) return;
    etcd.members.forEach((member, i) => {
      const row = document.querySelector(`tr[data-etcd-member="${i}"]`);
      if (!row) return;
      const badge = row.querySelector('[data-field="state"] .verdict');
      if (badge) {
        const good = member.up && member.has_leader;
        badge.textContent = t(!member.up ? "node-down" : member.has_leader ? "node-up" : "etcd-up-no-leader");
        badge.className = `verdict ${good ? "good" : "bad"}`;
      }
      setText(row, "role", member.is_leader ? t("etcd-is-leader") : "");
      setText(row, "ping", member.up && member.latency_ms != null ? `${DECIMAL.format(member.latency_ms)} ms` : "–");
    });
    const quorum = document.getElementById("etcd-quorum");
    if (quorum) {
      setText(quorum, "etcd-up", t("js-up-of", { up: etcd.up, total: etcd.members.length }));
      setText(quorum, "etcd-quorum", t(etcd.quorum_up ? "redis-quorum-up" : "redis-no-quorum"));
      setText(quorum, "etcd-leader", etcd.leader || t("etcd-no-leader"));
      quorum.className = etcd.quorum_up ? "good" : "bad";
    }
  }

  function every(ms, task) {
    const loop = async () => {
      await task();
      setTimeout(loop, typeof ms === "function" ? ms() : ms);
    };
    loop();
  }

  // A form's fields as JSON: numbers for number inputs and numeric selects, empty fields left out.
  function fields(form, submitter) {
    const body = {};
    const data = new FormData(form, submitter);
    for (const [name, value] of data.entries()) {
      if (value === "") continue;
      const input = form.elements.namedItem(name);
      const numeric = input && (input.type === "number" || name === "event_id");
      body[name] = numeric ? Number(value) : value;
    }
    return body;
  }

  function say(text, tone) {
    const status = document.getElementById("run-status");
    if (!status) return;
    status.textContent = text;
    status.className = tone || "";
  }

  async function submit(form, submitter) {
    const url = form.dataset.api;
    const body = fields(form, submitter);
    const buttons = document.querySelectorAll("form[data-api] button");
    const experiment = url === "/experiments";
    if (experiment) {
      running = true;
      buttons.forEach((b) => (b.disabled = true));
      const where = t(body.target === "all" ? "js-every-instance" : "form-this-instance");
      say(t("js-running", { requests: NUMBER.format(body.requests || 10), strategy: body.strategy, where }), "running");
    }
    try {
      const data = await api("POST", url, Object.keys(body).length ? body : undefined);
      if (experiment) {
        // The buttons stay disabled: the page is about to show the result.
        say(t("js-loading", { id: data.id, headline: data.verdict.headline }), data.verdict.tone);
        showExperiment(data);
        return;
      }
      await refreshEvents();
    } catch (error) {
      say(error.message, "bad");
    }
    running = false;
    buttons.forEach((b) => (b.disabled = false));
  }

  // The URL of a run carries its settings, so the form shows them again and a link reproduces it.
  function knobs(e) {
    const target = e.targets && e.targets.length > 1 ? "all" : "this";
    return `strategy=${encodeURIComponent(e.strategy)}&requests=${e.requests}&capacity=${e.capacity}` +
      `&race_window_ms=${e.race_window_ms}&ttl_ms=${e.ttl_ms}&target=${target}`;
  }

  function showExperiment(e) {
    window.location.assign(`/?experiment=${e.id}&${knobs(e)}#result`);
  }

  // A page loaded while a run is going (a reload, another instance's page) waits for its result.
  async function watchRunning() {
    const result = document.querySelector("[data-running]");
    if (!result) return;
    running = true;
    const id = result.dataset.running;
    for (;;) {
      try {
        const e = await api("GET", `/experiments/${id}`);
        if (e.state !== "running") {
          showExperiment(e);
          return;
        }
      } catch (_) {
        // The instance may be restarting; keep asking.
      }
      await new Promise((done) => setTimeout(done, 500));
    }
  }

  // The timeline as a PNG, for slides that take no SVG: the server's SVG of the run (same origin,
  // so the canvas stays readable) drawn on a canvas at twice the drawing's size. Without script
  // the link stays hidden and the SVG download is there.
  async function timelinePng(url) {
    const drawing = document.querySelector(".timeline-figure svg.timeline").viewBox.baseVal;
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(drawing.width * 2);
    canvas.height = Math.round(drawing.height * 2);
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return new Promise((done, fail) =>
      canvas.toBlob((blob) => (blob ? done(blob) : fail(new Error("no PNG"))), "image/png"),
    );
  }
  window.oversoldTimelinePng = timelinePng;

  const png = document.getElementById("timeline-png");
  if (png && document.querySelector(".timeline-figure svg.timeline")) {
    png.hidden = false;
    png.addEventListener("click", async (e) => {
      e.preventDefault();
      try {
        const link = document.createElement("a");
        link.href = URL.createObjectURL(await timelinePng(png.href));
        link.download = png.dataset.file;
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      } catch (_) {
        window.location.assign(png.href); // the SVG, which every slide tool can at least open
      }
    });
  }

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
    e.preventDefault();
    submit(form, e.submitter);
  });

  every(() => (running ? EVENTS_WHILE_RUNNING_MS : EVENTS_EVERY_MS), refreshEvents);
  every(HEALTH_EVERY_MS, refreshHealth);
  watchRunning();
})();
