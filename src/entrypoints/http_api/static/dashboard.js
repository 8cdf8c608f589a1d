// The dashboard of entsoe-backfill: reads the JSON routes of the API it is served by, by short
// polling, and sends the bearer token (kept in sessionStorage only) with changes. Everything
// shown is set as text, never as markup: errors come from the source and may hold anything.
"use strict";

(() => {
  const TOKEN_KEY = "entsoe-http-token";
  const JOB_POLL_BUSY_MS = 1000;
  const JOB_POLL_IDLE_MS = 4000;
  const GRID_POLL_MS = 10000;
  const RATE_WINDOW_MS = 60000;
  const STATES = {
    missing: ["M", "missing"],
    holes: ["H", "holes"],
    provisional: ["P", "provisional"],
    no_data: ["N", "no data"],
    covered: ["C", "covered"],
    outside: ["–", "outside the area's lifetime or not yet published"],
  };
  const UNFINISHED = new Set(["pending", "in_progress"]);

  const $ = (id) => document.getElementById(id);
  let budget = null;
  let gridAsked = null;
  let gridTicket = 0;
  let gridDrawn = "";
  let gridProgress = "";
  let gridShownAt = 0;
  let previewed = null;
  const cards = new Map();
  const samples = new Map();

  // -- small helpers ------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("data-") || name.startsWith("aria-")) node.setAttribute(name, value);
      else node[name] = value;
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  function instant(text) {
    // Instants come as UTC ISO 8601; minutes are precise enough to read.
    return text ? `${text.slice(0, 10)} ${text.slice(11, 16)}Z` : "—";
  }

  function day(text) {
    return text ? text.slice(0, 10) : "—";
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const total = Math.round(Math.abs(seconds));
    const sign = seconds < 0 ? "−" : "";
    if (total < 60) return `${sign}${total} s`;
    if (total < 3600) return `${sign}${Math.floor(total / 60)} min ${total % 60} s`;
    if (total < 172800) return `${sign}${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
    return `${sign}${Math.floor(total / 86400)} days`;
  }

  function names(text) {
    return text.split(",").map((part) => part.trim()).filter(Boolean);
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== "" && value !== null && value !== undefined) search.append(name, value);
    }
    return search.toString();
  }

  function nextMonth(month) {
    const [year, number] = month.split("-").map(Number);
    return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, "0")}`;
  }

  // -- the API, the token and messages -----------------------------------------------------

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super(refusal(status, problem));
      this.status = status;
    }
  }

  function refusal(status, problem) {
    const detail = problem && problem.detail ? problem.detail : `the server answered HTTP ${status}`;
    if (status === 401) {
      const why = token()
        ? "the token entered under Access is not the one this server was given"
        : "no token was entered under Access";
      return `Refused: this action needs the API's bearer token (ENTSOE_HTTP_TOKEN), and ${why}. The server said: ${detail}`;
    }
    if (status === 403) {
      return `Refused: this server accepts no changes (it was started without ENTSOE_HTTP_TOKEN). The server said: ${detail}`;
    }
    const title = problem && problem.title ? problem.title : "Error";
    return `${title}: ${detail}`;
  }

  async function api(method, path, body, onHeaders) {
    const headers = { Accept: "application/json" };
    if (method !== "GET" && token()) headers.Authorization = `Bearer ${token()}`;
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let found = null;
    if (text) {
      try {
        found = JSON.parse(text);
      } catch {
        found = { detail: text.slice(0, 300) };
      }
    }
    if (!response.ok) throw new ApiError(response.status, found);
    if (onHeaders) onHeaders(response.headers);
    return found;
  }

  function say(text, kind) {
    const box = $("message");
    box.textContent = text;
    box.className = kind === "ok" ? "ok" : "error";
    box.hidden = false;
  }

  function showToken() {
    $("token-state").textContent = token()
      ? "A token is set for this browser session: starting, resuming and cancelling are sent with it."
      : "No token: the page is read-only; starting, resuming and cancelling will be refused.";
  }

  // -- health ------------------------------------------------------------------------------

  async function refreshHealth() {
    try {
      const health = await api("GET", "/health");
      const parts = [
        `database ${health.database}`,
        `source ${health.source}`,
        `${health.running_jobs} job(s) running here`,
        `version ${health.version}`,
      ];
      $("health").textContent = parts.join(" · ") + (health.source_detail ? ` — ${health.source_detail}` : "");
    } catch (error) {
      $("health").textContent = `Not healthy: ${error.message}`;
    }
  }

  // -- the form: a plan first, then the start ----------------------------------------------

  function formBody() {
    const body = {
      areas: $("all-areas").checked ? ["all"] : names($("areas").value),
      datasets: Array.from($("datasets").selectedOptions, (option) => option.value),
      start: $("start-date").value.trim(),
      end: $("end-date").value.trim(),
    };
    if ($("span").value) body.span = $("span").value;
    return body;
  }

  function forgetPlan() {
    previewed = null;
    $("plan").hidden = true;
  }

  async function preview(event) {
    event.preventDefault();
    const body = formBody();
    if (!body.areas.length) return say("Name at least one area, or tick “All areas”.");
    if (!body.datasets.length) return say("Choose at least one dataset.");
    if (!body.start || !body.end) return say("Give a start and an end date (UTC), such as 2024-01-01.");
    try {
      const plan = await api("POST", "/backfills?dry_run=true", body);
      previewed = body;
      showPlan(plan);
      $("message").hidden = true;
    } catch (error) {
      forgetPlan();
      say(error.message);
    }
  }

  function showPlan(plan) {
    const minutes = duration(plan.budget_seconds);
    $("plan-summary").textContent =
      `${plan.chunks} chunk(s), ${plan.requests} request(s) for ${plan.targets} dataset × area ` +
      `pair(s) (${plan.complete} already complete), from ${day(plan.start)} to ${day(plan.end)}. ` +
      `At ${plan.rate_limit_per_minute} requests per minute this takes at least ${minutes}.`;
    const rows = plan.groups.slice(0, 50).map((group) =>
      el("tr", {},
        el("td", { text: group.dataset }),
        el("td", { text: group.area_label }),
        el("td", { text: group.chunks }),
        el("td", { text: `${day(group.first.start)} – ${day(group.first.end)}` }),
        el("td", { text: `${day(group.last.start)} – ${day(group.last.end)}` })));
    if (plan.groups.length > 50) {
      rows.push(el("tr", {}, el("td", { colSpan: 5, text: `… and ${plan.groups.length - 50} more` })));
    }
    $("plan-groups").tBodies[0].replaceChildren(...rows);
    $("start-backfill").disabled = plan.chunks === 0;
    $("plan").hidden = false;
    $("plan-title").focus();
  }

  async function start() {
    if (!previewed) return;
    try {
      const job = await api("POST", "/backfills", previewed);
      forgetPlan();
      say(`Started job ${job.id}.`, "ok");
      await refreshJobs();
    } catch (error) {
      say(error.message);
    }
  }

  // -- jobs ----------------------------------------------------------------------------------

  function rate(job) {
    const now = Date.now();
    const seen = (samples.get(job.id) || []).filter((sample) => now - sample.at <= RATE_WINDOW_MS);
    seen.push({ at: now, requests: job.requests });
    samples.set(job.id, seen);
    const first = seen[0];
    const span = now - first.at;
    const of = budget ? ` of the budget of ${budget.rate_limit_per_minute}` : "";
    if (job.running && span >= 3000) {
      const perMinute = ((job.requests - first.requests) * 60000) / span;
      return `${perMinute.toFixed(0)} per minute${of}`;
    }
    // A short run's average says more about the burst allowance than about the rate.
    if (job.elapsed_seconds >= 60) {
      return `${((job.requests * 60) / job.elapsed_seconds).toFixed(0)} per minute on average${of}`;
    }
    return `budget ${budget ? budget.rate_limit_per_minute : "?"} per minute`;
  }

  function card(job) {
    const parts = {
      title: el("h3", {}),
      status: el("span", { class: "status" }),
      what: el("p", { class: "what" }),
      bar: el("progress", { max: 1, value: 0 }),
      percent: el("span", { class: "percent" }),
      stats: el("p", { class: "stats" }),
      timing: el("p", { class: "timing" }),
      error: el("p", { class: "last-error" }),
      outage: el("p", { class: "outage" }),
      resume: el("button", { type: "button", class: "resume", text: "Resume" }),
      cancel: el("button", { type: "button", class: "cancel", text: "Cancel" }),
      failed: el("details", { class: "failed" }),
      failedKey: "",
    };
    parts.bar.setAttribute("aria-label", `Chunks of job ${job.id} done`);
    parts.resume.setAttribute("aria-label", `Resume job ${job.id}`);
    parts.cancel.setAttribute("aria-label", `Cancel job ${job.id}`);
    parts.resume.addEventListener("click", () => act(job.id, "resume"));
    parts.cancel.addEventListener("click", () => act(job.id, "cancel"));
    parts.failed.append(el("summary", {}), el("ol", {}));
    const node = el("article", { class: "job", id: `job-${job.id}` },
      el("div", { class: "job-head" }, parts.title, parts.status),
      parts.what,
      el("div", { class: "progress" }, parts.bar, parts.percent),
      parts.stats, parts.timing, parts.error, parts.outage,
      el("div", { class: "actions" }, parts.resume, parts.cancel),
      parts.failed);
    return { node, parts };
  }

  function update(entry, job) {
    const p = entry.parts;
    const total = job.chunks_total;
    const done = job.chunks.done;
    const percent = total ? Math.floor((done * 100) / total) : 0;
    entry.node.dataset.status = job.status;
    p.title.textContent = `Job ${job.id} · ${job.kind.replace("_", " ")}`;
    p.status.textContent = job.running ? `${job.status.replace("_", " ")} (running)` : job.status.replace("_", " ");
    p.status.className = `status status-${job.status}`;
    const areas = job.areas.length > 6 ? `${job.areas.slice(0, 6).join(", ")} and ${job.areas.length - 6} more` : job.areas.join(", ");
    p.what.textContent = `${job.datasets.join(", ")} · ${areas} · ${day(job.start)} to ${day(job.end)}`;
    p.bar.max = Math.max(total, 1);
    p.bar.value = done;
    p.percent.textContent = `${percent}% · ${done} of ${total} chunks done`;
    const c = job.chunks;
    const kept = job.points_kept ? ` (${job.points_kept} kept: stored values are newer)` : "";
    p.stats.textContent =
      `${job.points_written} points written${kept} · ${c.in_flight} in flight, ${c.pending} pending, ` +
      `${c.failed} failed, ${c.cancelled} cancelled` + (c.split ? `, ${c.split} split` : "") +
      (job.holes ? ` · ${job.holes} hole(s)` : "");
    p.timing.textContent =
      `Elapsed ${duration(job.elapsed_seconds)} · ETA ${duration(job.eta_seconds)} · ` +
      `${job.requests} requests, ${rate(job)}`;
    p.error.textContent = job.last_error ? `Last error: ${job.last_error}` : "";
    p.error.hidden = !job.last_error;
    p.outage.textContent = job.source_outage
      ? `Waiting for the source, unavailable since ${instant(job.source_outage.since)}: ${job.source_outage.last_failure}`
      : "";
    p.outage.hidden = !job.source_outage;
    p.resume.hidden = !(job.status === "failed" || (UNFINISHED.has(job.status) && !job.running));
    p.cancel.hidden = !(UNFINISHED.has(job.status) || job.status === "failed");
    p.failed.hidden = c.failed === 0;
    const failedKey = `${c.failed}/${job.status}`;
    if (c.failed && failedKey !== p.failedKey) {
      p.failedKey = failedKey;
      showFailed(job.id, p.failed);
    }
  }

  async function showFailed(jobId, details) {
    try {
      const chunks = await api("GET", `/backfills/${encodeURIComponent(jobId)}/chunks?status=failed`);
      details.firstChild.textContent = `${chunks.length} failed chunk(s) and their errors`;
      details.lastChild.replaceChildren(...chunks.map((chunk) =>
        el("li", {},
          el("span", { class: "chunk-what", text: `${chunk.dataset} ${chunk.area_label} ${day(chunk.start)} – ${day(chunk.end)}` }),
          ` (chunk ${chunk.id}, ${chunk.attempts} attempt(s)): `,
          el("span", { class: "chunk-error", text: chunk.last_error || "no error recorded" }))));
    } catch (error) {
      details.firstChild.textContent = `Failed chunks could not be read: ${error.message}`;
    }
  }

  async function act(jobId, action) {
    try {
      const job = await api("POST", `/backfills/${encodeURIComponent(jobId)}/${action}`);
      say(action === "cancel" ? `Cancelled job ${job.id}.` : `Resumed job ${job.id}.`, "ok");
      await refreshJobs();
    } catch (error) {
      say(error.message);
    }
  }

  async function refreshJobs() {
    let total = null;
    const jobs = await api("GET", "/backfills", undefined, (headers) => {
      total = Number(headers.get("X-Total-Count"));
    });
    const list = $("job-list");
    const order = [];
    for (const job of jobs) {
      let entry = cards.get(job.id);
      if (!entry) {
        entry = card(job);
        cards.set(job.id, entry);
      }
      update(entry, job);
      order.push(entry.node);
    }
    // Keep the nodes, so that a focused button stays focused; only reorder when needed.
    order.forEach((node, index) => {
      if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
    });
    // A job that fell out of the newest listed leaves with its card.
    const listed = new Set(jobs.map((job) => job.id));
    for (const [id, entry] of cards) {
      if (!listed.has(id)) {
        entry.node.remove();
        cards.delete(id);
      }
    }
    $("jobs-empty").hidden = jobs.length > 0;
    const more = $("jobs-more");
    more.hidden = !(total > jobs.length);
    more.textContent = more.hidden
      ? ""
      : `The newest ${jobs.length} of ${total} jobs; \`entsoe jobs --limit N\` or ` +
        "GET /backfills?limit=N lists more.";
    const progress = jobs.map((job) => `${job.id}:${job.chunks.done}:${job.status}`).join(",");
    if (progress !== gridProgress) {
      gridProgress = progress;
      gridShownAt = 0;
      refreshHealth();
    }
    return jobs.some((job) => UNFINISHED.has(job.status));
  }

  // -- coverage and freshness --------------------------------------------------------------

  function gridQuery() {
    const start = $("grid-start").value.trim();
    const end = $("grid-end").value.trim();
    return {
      dataset: $("grid-dataset").value,
      area: $("grid-areas").value.trim(),
      start: start ? `${start}-01` : "",
      end: end ? `${nextMonth(end)}-01` : "",
    };
  }

  function legend() {
    $("legend").replaceChildren(...Object.entries(STATES).map(([state, [letter, label]]) =>
      el("li", {}, el("span", { class: `swatch state-${state}`, text: letter, "aria-hidden": "true" }), ` ${label}`)));
  }

  // The grid follows what the form asked for when it was last sent (Show, or a changed dataset
  // or box), not what is half typed; an answer overtaken by a newer request is dropped.
  function applyGridForm() {
    gridAsked = { params: gridQuery(), onlyFetched: $("grid-fetched").checked };
    return refreshGrid();
  }

  async function refreshGrid() {
    if (!gridAsked || !gridAsked.params.dataset) return;
    const { params, onlyFetched } = gridAsked;
    const ticket = ++gridTicket;
    try {
      const [grid, fresh] = await Promise.all([
        api("GET", `/coverage/grid?${query(params)}`),
        api("GET", `/freshness?${query({ dataset: params.dataset, area: params.area })}`),
      ]);
      if (ticket !== gridTicket) return;
      // Redrawn only when something changed, so that a focused cell keeps its focus.
      const drawn = JSON.stringify([grid, fresh.map((row) => [row.area, row.newest, row.state]), onlyFetched]);
      if (drawn !== gridDrawn) {
        gridDrawn = drawn;
        const stored = new Set(fresh.filter((row) => row.state !== "empty").map((row) => row.area));
        const shown = (area, fetched) => !onlyFetched || fetched || stored.has(area);
        showGrid(grid, (row) => shown(row.area, row.fetched));
        showFreshness(fresh.filter((row) => shown(row.area, row.state !== "empty")));
      }
      gridShownAt = Date.now();
    } catch (error) {
      if (ticket !== gridTicket) return;
      say(error.message);
      gridShownAt = Date.now();
    }
  }

  function showGrid(grid, keep) {
    const rows = grid.rows.filter(keep);
    const table = el("table", { class: "grid" },
      el("caption", { text: `Coverage of ${$("grid-dataset").value}, ${grid.months[0]} to ${grid.months[grid.months.length - 1]}` }),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: "Area" }),
        ...grid.months.map((month) => el("th", { scope: "col", text: month })))),
      el("tbody", {}, ...rows.map((row) => el("tr", {},
        el("th", { scope: "row", text: row.area_label }),
        ...row.cells.map((cell) => gridCell(row, cell))))));
    const empty = rows.length ? null : el("p", { text: "Nothing fetched or stored for these areas yet (untick the box to see every area)." });
    $("grid").replaceChildren(table, ...(empty ? [empty] : []));
  }

  function shares(cell) {
    return Object.entries(cell.shares)
      .map(([state, share]) => `${STATES[state][1]} ${Math.round(share * 100)}%`)
      .join(", ");
  }

  function gridCell(row, cell) {
    const [letter, label] = STATES[cell.state];
    const td = el("td", { class: `cell state-${cell.state}`, "data-area": row.area_label, "data-month": cell.month, "data-state": cell.state });
    if (cell.state === "outside") {
      td.append(el("span", { text: letter, title: `${row.area_label} ${cell.month}: ${label}` }));
      return td;
    }
    const text = `${row.area_label} ${cell.month}: ${label} (${shares(cell)})`;
    const link = el("a", { href: `#${row.area_label}/${cell.month}`, text: letter, title: text, "aria-label": text });
    link.addEventListener("click", (event) => {
      event.preventDefault();
      showCell(row, cell);
    });
    td.append(link);
    return td;
  }

  async function showCell(row, cell) {
    const where = { dataset: row.dataset, area: row.area, start: cell.start, end: cell.end };
    const chunksUrl = `/chunks?${query(where)}`;
    const qualityUrl = `/quality?${query(where)}`;
    $("cell-title").textContent = `${row.area_label} · ${row.dataset} · ${cell.month}`;
    $("cell-shares").textContent = `${STATES[cell.state][1]}: ${shares(cell)}`;
    $("cell-links").replaceChildren("As JSON: ",
      el("a", { href: chunksUrl, text: "its chunks" }), ", ",
      el("a", { href: qualityUrl, text: "its quality report" }));
    $("cell").hidden = false;
    $("cell-title").focus();
    try {
      const [chunks, quality] = await Promise.all([api("GET", chunksUrl), api("GET", qualityUrl)]);
      $("cell-chunks").tBodies[0].replaceChildren(...(chunks.length ? chunks.map((chunk) => el("tr", {},
        el("td", { text: chunk.job_id }),
        el("td", { text: chunk.id }),
        el("td", { text: `${instant(chunk.start)} – ${instant(chunk.end)}` }),
        el("td", { text: chunk.status }),
        el("td", { text: chunk.points_written }),
        el("td", { text: chunk.last_error || "" }))) : [el("tr", {}, el("td", { colSpan: 6, text: "No job fetched this month." }))]));
      $("cell-quality").tBodies[0].replaceChildren(...(quality.length ? quality.map((series) => el("tr", {},
        el("td", { text: [series.business_type, series.psr_type, series.in_domain, series.out_domain].filter(Boolean).join(" ") }),
        el("td", { text: series.resolution }),
        el("td", { text: series.expected }),
        el("td", { text: series.stored }),
        el("td", { text: series.holes }),
        el("td", { text: series.first_holes.map((hole) => `${instant(hole.start)} – ${instant(hole.end)}`).join("; ") }))) : [el("tr", {}, el("td", { colSpan: 6, text: "Nothing stored in this month." }))]));
    } catch (error) {
      say(error.message);
    }
  }

  function showFreshness(rows) {
    $("freshness-table").tBodies[0].replaceChildren(...(rows.length ? rows.map((row) => el("tr", { "data-area": row.area_label },
      el("td", { text: row.dataset }),
      el("td", { text: row.area_label }),
      el("td", { text: instant(row.newest) }),
      el("td", { text: instant(row.horizon) }),
      el("td", { text: duration(row.lag_seconds) }),
      el("td", {}, el("span", { class: `fresh fresh-${row.state}`, text: row.state })))) : [el("tr", {}, el("td", { colSpan: 6, text: "Nothing stored for these areas yet." }))]));
  }

  // -- start-up and the polling loop -------------------------------------------------------

  async function loadDatasets() {
    const datasets = await api("GET", "/datasets");
    const options = (selected) => datasets.map((dataset) =>
      el("option", { value: dataset.key, text: `${dataset.title} (${dataset.key})`, selected: dataset.key === selected }));
    $("datasets").replaceChildren(...options(null));
    $("grid-dataset").replaceChildren(...options("actual_total_load"));
  }

  async function loop() {
    let busy = false;
    try {
      // What start-up could not read (the server was down, say) is read once it answers.
      if (!budget) budget = await api("GET", "/budget");
      if (!$("datasets").options.length) {
        await loadDatasets();
        await applyGridForm();
      }
      busy = await refreshJobs();
      if (Date.now() - gridShownAt > GRID_POLL_MS) await refreshGrid();
    } catch (error) {
      say(`Could not read the jobs and the coverage: ${error.message}`);
    }
    setTimeout(loop, busy ? JOB_POLL_BUSY_MS : JOB_POLL_IDLE_MS);
  }

  async function main() {
    legend();
    showToken();
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token").value.trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      $("token").value = "";
      showToken();
    });
    $("token-forget").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      showToken();
    });
    $("backfill-form").addEventListener("submit", preview);
    $("backfill-form").addEventListener("input", forgetPlan);
    $("all-areas").addEventListener("change", () => {
      $("areas").disabled = $("all-areas").checked;
    });
    $("start-backfill").addEventListener("click", start);
    $("grid-form").addEventListener("submit", (event) => {
      event.preventDefault();
      applyGridForm();
    });
    $("grid-dataset").addEventListener("change", applyGridForm);
    $("grid-fetched").addEventListener("change", applyGridForm);
    refreshHealth();
    setInterval(refreshHealth, GRID_POLL_MS);
    loop();
  }

  document.addEventListener("DOMContentLoaded", main);
})();
