/**
 * The Live tail part of the dashboard's script: the newest envelopes (GET /admin/tail), newest
 * first, polled every TAIL_POLL_MS while "Live" is on and the tab is visible. Each row shows
 * the time, app, type, user and a summary; its "Envelope" disclosure shows the pretty-printed
 * envelope (64-bit ids exact). Filter by app and type; DM text stays hidden (the server replaces
 * it) unless the operator ticks "Show DM text", which reloads the rows with it.
 */
export const DASHBOARD_TAIL_JS = String.raw`
const TAIL_POLL_MS = 5000;
const TAIL_SHOWN = 100;
const tailState = { app: "", type: "", dm: false, live: true, rows: [], timer: null, types: new Set() };

function tailKey(e) { return e.id + "|" + e.received_at; }

function tailRow(e) {
  return el("li", { class: "tail-row" },
    el("div", { class: "tail-meta" },
      el("time", { datetime: e.received_at, title: e.received_at, text: clock(e.received_at) }),
      el("span", { class: "tag", text: e.app }),
      el("code", { class: "type", text: e.type }),
      e.for_user_id ? el("span", { class: "muted", text: "user " + e.for_user_id }) : null),
    el("p", { class: "summary", text: e.summary }),
    el("details", null, el("summary", { text: "Envelope" }), el("pre", { text: pretty(e.envelope) })));
}

function renderTail() {
  const list = $("tail-list");
  if (!list) return;
  if (tailState.rows.length === 0) { fill(list, el("li", { class: "muted", text: "No envelope yet" + (tailState.app || tailState.type ? " matching the filter." : ": events appear here as they arrive.") })); return; }
  fill(list, tailState.rows.map(tailRow));
}

async function pollTail(reset) {
  const box = $("tail-error");
  if (!box) return;
  try {
    const r = await api("tail", {}, { limit: TAIL_SHOWN, app: tailState.app, type: tailState.type, dm_text: tailState.dm ? "show" : "" });
    box.replaceChildren();
    const known = new Set(tailState.rows.map(tailKey));
    const fresh = r.entries.filter((e) => !known.has(tailKey(e)));
    if (!reset && fresh.length === 0) return;
    for (const e of r.entries) tailState.types.add(e.type);
    if (reset) tailState.rows = r.entries;
    else {
      // Keep what is on screen (and its open disclosures) and put the new rows on top.
      const list = $("tail-list");
      if (tailState.rows.length === 0) list.replaceChildren();
      for (const e of fresh.slice().reverse()) list.prepend(tailRow(e));
      while (list.children.length > TAIL_SHOWN) list.lastElementChild.remove();
      tailState.rows = fresh.concat(tailState.rows).slice(0, TAIL_SHOWN);
      $("tail-count").textContent = tailState.rows.length + " shown, newest first.";
      updateTypeOptions();
      return;
    }
    renderTail();
    $("tail-count").textContent = tailState.rows.length + " shown, newest first.";
    updateTypeOptions();
  } catch (err) { showError(box, err); }
}

function updateTypeOptions() {
  const sel = $("tail-type");
  if (!sel) return;
  const have = new Set([...sel.options].map((o) => o.value));
  for (const t of [...tailState.types].sort()) if (!have.has(t)) sel.appendChild(el("option", { value: t, text: t }));
}

function scheduleTail() {
  clearTimeout(tailState.timer);
  tailState.timer = null;
  if (!tailState.live || !token()) return;
  tailState.timer = setTimeout(async () => {
    if (document.visibilityState === "visible") await pollTail(false);
    scheduleTail();
  }, TAIL_POLL_MS);
}

function tailSection(appNames) {
  const appSel = el("select", { id: "tail-app", onchange: () => { tailState.app = appSel.value; pollTail(true); } },
    el("option", { value: "", text: "All apps" }), appNames.map((n) => el("option", { value: n, text: n })));
  appSel.value = tailState.app;
  const typeSel = el("select", { id: "tail-type", onchange: () => { tailState.type = typeSel.value; pollTail(true); } },
    el("option", { value: "", text: "All types" }), [...tailState.types].sort().map((t) => el("option", { value: t, text: t })));
  typeSel.value = tailState.type;
  const dm = el("input", { type: "checkbox", id: "tail-dm", checked: tailState.dm, onchange: () => { tailState.dm = dm.checked; pollTail(true); } });
  const live = el("input", { type: "checkbox", id: "tail-live", checked: tailState.live, onchange: () => { tailState.live = live.checked; scheduleTail(); } });
  fill($("tail"), el("h2", { text: "Live tail" }),
    el("div", { class: "controls" }, field("App", appSel), field("Type", typeSel),
      el("label", { class: "check" }, dm, " Show DM text"),
      el("label", { class: "check" }, live, " Live (every " + TAIL_POLL_MS / 1000 + " s)")),
    el("p", { id: "tail-count", class: "muted", role: "status" }),
    el("div", { id: "tail-error" }),
    el("ol", { id: "tail-list", class: "tail", "aria-label": "Newest envelopes" }));
  pollTail(true);
  scheduleTail();
}
`;
