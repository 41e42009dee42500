/**
 * The Pipeline part of the dashboard's script (see script.ts for the rules it follows: DOM APIs
 * and textContent only, every call from the API table): each queue's backlog and the forward
 * destination's circuit (one per destination, with its apps), from GET /admin/pipeline, so an
 * operator sees at a glance whether the pipeline keeps up and whether a forward receiver is down. Read on every (re)load; it never
 * reaches X.
 */
export const DASHBOARD_PIPELINE_JS = String.raw`
function forwardView(f) {
  const apps = (f.apps || []).join(", ");
  if (f.error) return el("p", { class: "error", text: "Forward destination " + f.destination_host + " (apps: " + apps + "): state unavailable." });
  const up = f.phase === "closed";
  return kv([
    ["Destination", f.destination_host],
    ["Apps", apps],
    ["Circuit", badge(up, "closed (sending)", f.phase === "open" ? "OPEN (holding messages)" : "HALF-OPEN (probing)")],
    ["Failing since", up ? "-" : when(f.open_since)],
    ["Next probe", up ? "-" : f.open_until],
    ["Cool-down", Math.round(f.cool_down_ms / 1000) + " s"],
    ["Consecutive failures", f.failures],
  ]);
}

function forwardViews(list) {
  if (list.length === 0) return [el("p", { class: "muted", text: "Forwarding is off (no app has a forward destination: FORWARD_URL and every forward_url are unset)." })];
  return list.map(forwardView);
}

function pipelineView(p) {
  const letters = p.dead_letters.error ? "unavailable" : String(p.dead_letters.total);
  return [
    table(p.queues, [
      ["Queue", "queue"],
      ["Waiting", (q) => q.error ? el("span", { class: "bad", text: "unavailable" }) : q.backlog_count],
      ["Bytes", (q) => q.error ? "-" : q.backlog_bytes],
      ["Oldest", (q) => q.error ? "-" : q.oldest_message_at],
      ["Age", (q) => q.error ? "-" : ageText(q.oldest_age_seconds)],
    ], "No queue.", "Queue backlogs"),
    el("h3", { text: "Forward destinations" }),
    ...forwardViews(p.forward_destinations || (p.forward ? [p.forward] : [])),
    el("p", { text: "Dead letters stored: " + letters + "." }),
  ];
}

function pipelineSection(p, err) {
  const section = $("pipeline");
  fill(section, el("h2", { text: "Pipeline" }), err ? errorView(err) : pipelineView(p));
}
`;
