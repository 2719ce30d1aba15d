// The FourEyes dashboard: a snapshot, then live updates over server-sent events.
// Plain DOM, no framework and no build step; every value goes in through textContent.
"use strict";

const MAX_POINTS = 240;
const MAX_EVENTS = 100;
const state = { meters: new Map(), series: new Map(), events: [], live: false };

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
};
const money = (v) =>
  v === null || v === undefined
    ? "—"
    : Number(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const secs = (t) => (t === null || t === undefined ? "" : `${Number(t).toFixed(1)} s`);
const ms = (v) => (v === null || v === undefined ? "—" : `${Number(v).toFixed(0)} ms`);

function connect() {
  const source = new EventSource("/api/stream");
  const conn = $("#conn");
  source.addEventListener("snapshot", (m) => {
    const snap = JSON.parse(m.data);
    state.meters = new Map(snap.meters.map((x) => [x.meter, x]));
    state.series = new Map(Object.entries(snap.series));
    state.events = snap.events.slice().reverse();
    renderMeters(false);
    renderEvents();
    renderHealth(snap.health);
    renderAlerts(snap.alerts);
  });
  source.addEventListener("readings", (m) => {
    for (const r of JSON.parse(m.data)) {
      if (r.value === null || (r.status !== "ok" && r.status !== "held")) continue;
      const points = state.series.get(r.meter) || [];
      // (the first update may repeat what the snapshot already had)
      if (points.length && points[points.length - 1][0] >= r.ts) continue;
      points.push([r.ts, r.value]);
      if (points.length > MAX_POINTS) points.splice(0, points.length - MAX_POINTS);
      state.series.set(r.meter, points);
    }
  });
  source.addEventListener("meters", (m) => {
    state.meters = new Map(JSON.parse(m.data).map((x) => [x.meter, x]));
    renderMeters(true);
  });
  source.addEventListener("events", (m) => {
    const known = new Set(state.events.map((e) => e.id));
    const fresh = JSON.parse(m.data).filter((e) => !known.has(e.id));
    state.events = fresh.reverse().concat(state.events).slice(0, MAX_EVENTS);
    renderEvents();
  });
  source.addEventListener("health", (m) => renderHealth(JSON.parse(m.data)));
  source.addEventListener("alerts", (m) => renderAlerts(JSON.parse(m.data)));
  source.onopen = () => {
    conn.dataset.state = state.live ? "live" : "finished";
    conn.textContent = state.live ? "live" : "finished run";
  };
  source.onerror = () => {
    conn.dataset.state = "reconnecting";
    conn.textContent = "reconnecting…";
  };
}

function sparkline(points) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 30");
  svg.setAttribute("preserveAspectRatio", "none");
  if (points && points.length > 1) {
    const t0 = points[0][0], t1 = points[points.length - 1][0];
    let lo = Infinity, hi = -Infinity;
    for (const [, v] of points) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const spanT = t1 - t0 || 1, spanV = hi - lo || 1;
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute(
      "points",
      points.map(([t, v]) => `${((t - t0) / spanT) * 100},${28 - ((v - lo) / spanV) * 26}`).join(" "),
    );
    svg.append(line);
  }
  return svg;
}

function renderMeters(flash) {
  const box = $("#meters");
  for (const [name, m] of state.meters) {
    let card = box.querySelector(`.card[data-meter="${CSS.escape(name)}"]`);
    if (!card) {
      card = el("article", { class: "card", "data-meter": name });
      box.append(card);
    }
    const before = card.querySelector(".value")?.textContent;
    const value = el("div", { class: "value", text: money(m.value) });
    if (flash && before !== undefined && before !== value.textContent) value.classList.add("flash");
    const reset = m.last_reset
      ? `${money(m.last_reset.before)} → ${money(m.last_reset.after)} at ${secs(m.last_reset.ts)}`
      : "none yet";
    const growth =
      m.growth_per_minute === null ? "—" : `${m.growth_per_minute >= 0 ? "+" : ""}${money(m.growth_per_minute)}/min`;
    card.replaceChildren(
      el("span", { class: "status", "data-status": m.status || "", text: m.status || "no value" }),
      el("div", { class: "name", text: name }),
      value,
      el(
        "dl",
        {},
        el("dt", { text: "growth" }), el("dd", { class: "growth", text: growth }),
        el("dt", { text: "last reset" }), el("dd", { class: "reset", text: reset }),
        el("dt", { text: "as of" }), el("dd", { text: secs(m.ts) }),
      ),
      sparkline(state.series.get(name)),
    );
  }
}

const STANDARD = new Set([
  "id", "ts", "frame", "meter", "type", "before", "after", "confidence", "evidence", "readings", "evidence_url",
]);

// A meter's event says what the value did; a run's event (source, degradation) says
// what changed in its own words: from → to, or its other details.
function describe(e) {
  if (e.meter) return `${money(e.before)} → ${money(e.after)}`;
  if (e.from !== undefined && e.to !== undefined) return `${e.from} → ${e.to}`;
  return Object.entries(e)
    .filter(([k]) => !STANDARD.has(k))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

function renderEvents() {
  const list = $("#events");
  list.replaceChildren(
    ...state.events.map((e) => {
      const what = describe(e);
      const row = el(
        "li",
        { class: "event", "data-id": e.id, "data-type": e.type, tabindex: "0" },
        el("span", { class: "ts", text: secs(e.ts) }),
        el("span", { class: "type", "data-type": e.type, text: e.type }),
        el("span", { class: "meter", text: e.meter || "(run)" }),
        el("span", { class: "what", text: String(what) }),
      );
      row.addEventListener("click", () => showEvidence(e.id));
      row.addEventListener("keydown", (k) => k.key === "Enter" && showEvidence(e.id));
      return row;
    }),
  );
  if (!state.events.length) list.append(el("li", { class: "muted", text: "No events yet." }));
}

function renderHealth(h) {
  state.live = Boolean(h.live);
  const conn = $("#conn");
  if (conn.dataset.state !== "reconnecting") {
    conn.dataset.state = state.live ? "live" : "finished";
    conn.textContent = state.live ? "live" : "finished run";
  }
  if (h.run) $("#run").textContent = `${h.run.source} · run ${String(h.run.id).slice(0, 8)} · ${h.run.status}`;
  const src = h.source || {};
  const ok = src.ok === null || src.ok === undefined ? "" : src.ok ? "up" : "DOWN";
  const sourceTable = el(
    "table",
    { id: "health-source" },
    el("tr", {}, el("th", { text: "source" }), el("td", { class: src.ok === false ? "bad" : "ok", text: ok || "—" })),
    el("tr", {}, el("th", { text: "reconnects" }), el("td", { class: "num", text: String(src.reconnects ?? 0) })),
    el("tr", {}, el("th", { text: "stalls" }), el("td", { class: "num", text: String(src.stalls ?? 0) })),
    el("tr", {}, el("th", { text: "frozen" }), el("td", { class: "num", text: String(src.frozen ?? 0) })),
    el("tr", {}, el("th", { text: "switches" }), el("td", { class: "num", text: String(src.switches ?? 0) })),
  );
  const rows = Object.entries(h.readers || {}).map(([name, r]) =>
    el(
      "tr",
      { "data-reader": name },
      el("td", { text: name }),
      el("td", { class: r.state === "open" ? "bad" : r.state === "half_open" ? "warn" : "ok", text: r.state }),
      el("td", { class: "num", text: String(r.calls) }),
      el("td", { class: "num", text: ms(r.p50_ms) }),
      el("td", { class: "num", text: ms(r.p95_ms) }),
      el("td", { class: "num", text: String(r.failures + r.timeouts + r.garbage) }),
      el("td", { class: "num", text: String(r.retries) }),
    ),
  );
  const readerTable = el(
    "table",
    { id: "health-readers" },
    el(
      "tr",
      {},
      ...["reader", "circuit", "calls", "p50", "p95", "errors", "retries"].map((t) => el("th", { text: t })),
    ),
    ...rows,
  );
  const p = h.pipeline || {};
  const level = p.degradation ? p.degradation.level : "normal";
  $("#health").replaceChildren(
    sourceTable,
    el("h2", { text: "Readers", style: "margin-top:1rem" }),
    readerTable,
    el("p", { class: "muted", text: `samples ${p.samples ?? 0} · level ${level}` }),
  );
}

function renderAlerts(a) {
  const box = $("#alerts");
  const active = a.active || [];
  const recent = (a.recent || []).filter((r) => !active.some((x) => x.id === r.id)).slice(0, 5);
  box.hidden = !active.length && !recent.length;
  box.replaceChildren(
    el("h2", { text: active.length ? `Alerts firing (${active.length})` : "Recent alerts" }),
    el(
      "ul",
      {},
      ...active.map((r) => el("li", { class: "firing", "data-rule": r.rule, text: `${r.message} (${r.at})` })),
      ...recent.map((r) =>
        el("li", { class: r.status === "resolved" ? "resolved" : "firing", text: `${r.status}: ${r.message} (${r.at})` }),
      ),
    ),
  );
}

let pending = null;

async function showEvidence(id) {
  clearTimeout(pending);
  const dialog = $("#evidence");
  const response = await fetch(`/api/events/${encodeURIComponent(id)}`);
  if (!response.ok) return;
  const e = await response.json();
  // An event is committed as soon as it is decided; the readings around it wait for
  // every meter of their frame, so they may come a few seconds later: ask again.
  const waiting = Boolean(e.meter) && !(e.readings || []).length;
  $("#evidence-waiting").hidden = !waiting;
  if (waiting) pending = setTimeout(() => dialog.open && showEvidence(id), 1000);
  $("#evidence-title").textContent = `${e.type} · ${e.meter || "run"} · ${describe(e)} at ${secs(e.ts)}`;
  const img = $("#evidence-img");
  img.hidden = !e.evidence_url;
  $("#evidence-none").hidden = Boolean(e.evidence_url);
  if (e.evidence_url) img.src = e.evidence_url;
  $("#evidence-readings tbody").replaceChildren(
    ...(e.readings || []).map((r) =>
      el(
        "tr",
        { class: r.frame === e.frame ? "warn" : "" },
        el("td", { class: "num", text: String(r.frame) }),
        el("td", { class: "num", text: Number(r.ts).toFixed(2) }),
        el("td", { class: "raw", text: r.text }),
        el("td", { class: "num", text: money(r.value) }),
        el("td", { text: r.status }),
        el("td", { text: r.reason || "" }),
      ),
    ),
  );
  if (!dialog.open) dialog.showModal();
}

connect();
