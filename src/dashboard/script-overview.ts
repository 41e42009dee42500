/**
 * The Overview part of the dashboard's script: one card per app that says at a glance whether it
 * is healthy, as one status with the reason in words, then the facts behind it (age of the last
 * event, webhook validity and last CRC, subscriptions against the tier cap when X told us it,
 * dead letters, the queue backlogs). Built from GET /admin/apps, /admin/pipeline and the
 * dead-letter counts: never a call to X.
 *
 * `appStatus` picks the most urgent problem: no webhook or an invalid one (X sends nothing),
 * then a forward destination down (envelopes held), then signature failures (someone, or a wrong
 * secret, is posting bodies we refuse), then silence (subscribed users but no delivery for the
 * app's silence threshold, 24 h when it has none), else receiving (or idle with no subscriber).
 */
export const DASHBOARD_OVERVIEW_JS = String.raw`
const DEFAULT_SILENT_HOURS = 24;
/** The tier cap X reported on the last "Count at X" (per app, this tab only). */
const tierCaps = new Map();

/** The refusals GET /admin/apps reports (signature_failures), in words; null when none. */
function refusalsText(s) {
  if (!s || typeof s !== "object") return null;
  const reasons = Object.entries(s.by_reason || {}).filter(([, n]) => n > 0).map(([k, n]) => k.replace(/_/g, " ") + " " + n).join(", ");
  return s.streak_count + " refused since " + ago(s.streak_started_at) + ", the last " + ago(s.last_at) + (reasons ? " (" + reasons + ")" : "");
}

/** { state, tone, reason } for one app. state is one of the words the operator sees. */
function appStatus(a, pipeline, nowMs) {
  const w = a.webhook;
  if (!w) return { state: "no webhook", tone: "bad", reason: "No webhook is registered for this app, so X sends it nothing. Register one in the app's Webhook panel." };
  if (!w.valid) {
    const since = w.invalid_since ? " since " + ago(w.invalid_since) : "";
    const why = w.last_recheck_error ? " Last re-check: " + w.last_recheck_error + "." : "";
    return { state: "webhook invalid", tone: "bad", reason: "X marked the webhook invalid" + since + " and sends no events until a re-check (CRC) passes." + why + " Press Re-check webhook." };
  }
  const dests = pipeline && Array.isArray(pipeline.forward_destinations) ? pipeline.forward_destinations : [];
  const down = dests.find((d) => (d.apps || []).includes(a.app) && !d.error && d.phase !== "closed");
  if (down) {
    return { state: "destination down", tone: "bad", reason: "Forwarding to " + down.destination_host + " is failing" + (down.open_since ? " since " + ago(down.open_since) : "") + " (" + down.failures + " failures in a row): envelopes are held and retried, none is lost." };
  }
  const sig = a.signature_failures;
  if (sig && sig.refusing_now) return { state: "signature failures", tone: "warn", reason: "Requests to this app's webhook are failing the signature check: " + refusalsText(sig) + ". A wrong consumer secret, or someone posting forged events." };
  const last = a.last_delivery_at ? Date.parse(a.last_delivery_at) : NaN;
  const hours = typeof a.silence_alert_hours === "number" ? a.silence_alert_hours : DEFAULT_SILENT_HOURS;
  if (a.subscription_count > 0) {
    if (Number.isNaN(last)) return { state: "silent", tone: "warn", reason: a.subscription_count + " user(s) subscribed but no delivery has been received yet." };
    if (nowMs - last > hours * 3600000) return { state: "silent", tone: "warn", reason: "No delivery from X for " + ageText((nowMs - last) / 1000) + " although " + a.subscription_count + " user(s) are subscribed (threshold " + hours + " h)." };
  }
  if (Number.isNaN(last)) return { state: "idle", tone: "muted", reason: "Webhook valid; no user subscribed yet, so there is nothing to receive. Invite a user below." };
  return { state: "receiving", tone: "ok", reason: "Webhook valid; the last delivery arrived " + ago(a.last_delivery_at) + "." };
}

function backlogText(pipeline) {
  if (!pipeline || !Array.isArray(pipeline.queues)) return "unavailable";
  return pipeline.queues.filter((q) => q.queue.includes("ingest") || q.queue.includes("forward"))
    .map((q) => q.queue.replace(/^aae-/, "") + " " + (q.error ? "?" : q.backlog_count + (q.oldest_age_seconds ? " (oldest " + ageText(q.oldest_age_seconds) + ")" : ""))).join(", ");
}

function appCard(a, pipeline, letters) {
  const s = appStatus(a, pipeline, Date.now());
  const cap = tierCaps.get(a.app);
  const w = a.webhook;
  return el("article", { class: "card tone-" + s.tone, "aria-labelledby": "card-" + a.app },
    el("header", { class: "card-head" },
      el("h3", { id: "card-" + a.app, text: a.app }),
      el("span", { class: "pill " + s.tone, "data-state": s.state, text: s.state })),
    el("p", { class: "reason", text: s.reason }),
    kv([
      ["Last event", when(a.last_delivery_at, "none yet")],
      ["Webhook", w ? [badge(w.valid), " "] : el("span", { class: "muted", text: "none" })],
      ["Last CRC", when(a.last_crc_from_x)],
      ["Subscriptions", a.subscription_count + (cap !== undefined ? " of " + cap + " (tier cap)" : "")],
      ["Signatures refused", a.signature_failures ? a.signature_failures.total + " (last " + ago(a.signature_failures.last_at) + ")" : "none"],
      ["Dead letters", letters && letters.by_app ? String(letters.by_app[a.app] || 0) : "-"],
      ["Queue backlog", backlogText(pipeline)],
    ]),
    el("p", { class: "card-foot" }, el("button", { type: "button", class: "link", text: "Details and actions", "aria-label": "Details and actions for " + a.app, onclick: () => openApp(a.app) })));
}

/** Open an app's panel and move the focus to it. */
function openApp(name) {
  const d = $("app-" + name);
  if (!d) return;
  d.open = true;
  d.scrollIntoView();
  d.querySelector("summary").focus();
}

function overviewSection(apps, pipeline, letters) {
  const cards = apps.map((a) => appCard(a, pipeline, letters));
  fill($("overview"), el("h2", { text: "Overview" }), el("div", { class: "cards" }, cards));
}
`;
