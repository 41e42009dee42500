/**
 * The per-app panels of the dashboard's script: one collapsible panel per app with its webhook,
 * subscriptions, invites, Replay and dead-letter count, and every action an operator takes on X
 * from the page: register or re-check the webhook, revalidate, compare with X, subscribe and
 * unsubscribe, invite (with a copyable link), request a Replay (with X's window rules explained
 * before sending). Each action writes what it did and what X answered (runAction in the core).
 * Calls that reach X run on a click only.
 */
import { REPLAY_FROM_MIN_AGE_MS, REPLAY_TO_MIN_AGE_MS, replayLookbackMs, replaySupported } from "../cron/revalidate-policy.ts";
import { FLAVOURS } from "../config-types.ts";

const REPLAY_RULES = {
  fromMinAgeMinutes: REPLAY_FROM_MIN_AGE_MS / 60_000,
  toMinAgeMinutes: REPLAY_TO_MIN_AGE_MS / 60_000,
  lookbackHours: Object.fromEntries(FLAVOURS.map((f) => [f, replaySupported(f) ? replayLookbackMs(f) / 3_600_000 : 0])),
};

export const DASHBOARD_APPS_JS = String.raw`
const REPLAY_RULES = ${JSON.stringify(REPLAY_RULES)};
/** Action result boxes by app and panel: kept (moved into the new panel) when the panels re-render after an action. */
const outBoxes = new Map();
/** Form fields by app and name, kept the same way, so a re-render never wipes what the operator typed. */
const inputs = new Map();
function kept(key, make) {
  let e = inputs.get(key);
  if (!e) { e = make(); inputs.set(key, e); }
  return e;
}
function outBox(key) {
  let box = outBoxes.get(key);
  if (!box) { box = el("div", { class: "out out-" + key.slice(key.lastIndexOf(":") + 1), "aria-live": "polite" }); outBoxes.set(key, box); }
  return box;
}

/** What a revalidation run did, in words (it re-checks only when X says invalid or CRCs went stale). */
function revalidationText(o) {
  const parts = ["status " + o.status + (o.detail ? " (" + o.detail + ")" : "")];
  parts.push(o.recheck ? "a re-check (CRC) ran because " + o.recheck.reason + ": " + (o.recheck.ok ? "passed" : "failed" + (o.recheck.error ? " (" + o.recheck.error + ")" : ""))
    : "no re-check was needed");
  if (o.replay) parts.push("Replay: " + o.replay.action + (o.replay.detail ? " (" + o.replay.detail + ")" : "") + (o.replay.job_id ? ", job " + o.replay.job_id : ""));
  parts.push("alerts: " + (o.alerts && o.alerts.length ? o.alerts.join(", ") : "none"));
  return parts.join("; ") + ".";
}

function outcomeView(o) {
  if (!o) return el("p", { class: "muted", text: "No revalidation has run yet." });
  return el("p", null, when(o.at), ": ", revalidationText(o));
}

function webhookPanel(a) {
  const w = a.webhook;
  const out = outBox(a.app + ":webhook");
  const url = kept(a.app + ":url", () => el("input", { type: "url", placeholder: "default: this Worker's /webhooks/" + a.app, autocomplete: "off", spellcheck: "false" }));
  return el("section", { class: "panel" },
    el("h3", { text: "Webhook" }),
    w ? kv([
      ["Id", el("code", { text: w.id })], ["URL", el("code", { class: "break", text: w.url })], ["Valid", badge(w.valid)],
      ["Invalid since", w.invalid_since ? when(w.invalid_since) : "-"],
      ["Last CRC from X", when(a.last_crc_from_x)], ["Last re-check", when(w.last_recheck_at)],
      ["Re-check result", w.last_recheck_result], ["Re-check error", w.last_recheck_error],
    ]) : el("p", { class: "bad", text: "No webhook registered for this app: X sends it nothing. Register one below." }),
    el("h4", { text: "Last revalidation (cron or button)" }),
    outcomeView(a.last_revalidation),
    el("div", { class: "actions" },
      w ? null : field("Webhook URL (optional)", url, "X must reach it over https and runs a CRC against it before answering."),
      w ? null : actionButton("Register webhook", () => runAction(out, "Registering at X (X runs a CRC against this Worker)...",
        () => api("registerWebhook", { app: a.app }, null, url.value.trim() ? { url: url.value.trim() } : {}),
        (r) => "registered webhook " + r.webhook.id + " for " + r.webhook.url + "; X says it is " + (r.webhook.valid ? "valid" : "NOT valid") + ".").then(afterAction), "primary"),
      w ? actionButton("Re-check webhook", () => runAction(out, "Asking X to re-check (CRC)...",
        () => api("recheckWebhook", { app: a.app }),
        (r) => "X re-checked webhook " + r.id + ": " + (r.valid ? "valid (X sends events again)." : "still NOT valid.")).then(afterAction), "primary") : null,
      actionButton("Revalidate now", () => runAction(out, "Running a revalidation...",
        () => api("revalidate", { app: a.app }, null, { force: true }),
        (o) => "revalidation ran: " + revalidationText(o)).then(afterAction)),
      actionButton("Compare with X", () => runAction(out, "Asking X for its list...",
        () => api("webhooksAtX", { app: a.app }),
        (r) => r.x.length === 0 ? "X lists no webhook for this app." : "X lists " + r.x.map((x) => x.id + " (" + x.url + ", " + (x.valid ? "valid" : "invalid") + ")").join("; ") + "."))),
    out);
}

function subscriptionsPanel(a) {
  const out = outBox(a.app + ":subscriptions");
  const user = kept(a.app + ":user", () => el("input", { type: "text", inputmode: "numeric", autocomplete: "off", spellcheck: "false", placeholder: "e.g. 1600000000000000002" }));
  const tok = kept(a.app + ":token", () => el("input", { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "optional" }));
  const sec = kept(a.app + ":secret", () => el("input", { type: "password", autocomplete: "off", placeholder: "optional" }));
  const list = asyncBox(async () => table((await api("subscriptions", { app: a.app })).registry, [
    ["User id", (s) => el("code", { text: s.user_id })], ["Screen name", "screen_name"], ["Status", "status"], ["By", "subscribed_by"],
    ["Since", (s) => when(s.subscribed_at)], ["Token stored", "has_token"],
    ["", (s) => actionButton("Unsubscribe", async () => {
      if (!confirm("Unsubscribe user " + s.user_id + " from " + a.app + "? X stops sending their events.")) return;
      await runAction(out, "Unsubscribing at X...", () => api("unsubscribe", { app: a.app, user: s.user_id }),
        (r) => "user " + r.user_id + " unsubscribed from webhook " + r.webhook_id + " at X and removed here.").then(afterAction);
    }, "danger")],
  ], "No active subscriptions.", "Subscriptions of " + a.app));
  return el("section", { class: "panel" },
    el("h3", { text: "Subscriptions (" + a.subscription_count + " active)" }),
    list,
    el("div", { class: "actions" },
      actionButton("Compare with X", () => runAction(out, "Asking X...", async () => {
        const [l, count] = await Promise.all([api("subscriptionsAtX", { app: a.app }), api("subscriptionCount", { app: a.app })]);
        const cap = count.x_raw && (count.x_raw.provisioned_count || count.x_raw.provisioned);
        if (cap !== undefined && cap !== null) tierCaps.set(a.app, Number(cap));
        return { list: l, count };
      }, (r) => (r.list.in_sync ? "in sync with X" : "NOT in sync with X") + ": X counts " + r.count.x + " (all webhooks), here " + r.count.registry
        + (tierCaps.has(a.app) ? ", tier cap " + tierCaps.get(a.app) : "")
        + "; only at X: " + (r.list.differences.only_on_x.join(", ") || "none") + "; only here: " + (r.list.differences.only_in_registry.join(", ") || "none") + "."))),
    el("form", { class: "inline-form", "aria-label": "Subscribe a user to " + a.app, onsubmit: () => runAction(out, "Subscribing at X...",
      () => api("subscribe", { app: a.app }, null, tok.value.trim() ? { user_id: user.value.trim(), token: tok.value.trim(), secret: sec.value } : { user_id: user.value.trim() }),
      (r) => "user " + r.subscription.user_id + " subscribed to webhook " + r.webhook_id + " at X" + (r.token_stored ? " (token stored for reconciliation)." : ".")).then(afterAction) },
      el("h4", { text: "Subscribe a user" }),
      el("p", { class: "hint", text: "With the user's stored token (they signed in before), or their access token and secret. Users usually subscribe themselves with an invite link instead." }),
      el("div", { class: "actions" }, field("User id", user), field("Access token", tok), field("Token secret", sec),
        el("button", { type: "submit", text: "Subscribe" }))),
    invitePanel(a),
    out);
}

/** XAA apps: subscriptions against the tier cap, and the profiles (event types a user is subscribed to). */
function profilesPanel(a) {
  const out = outBox(a.app + ":profiles");
  const name = kept(a.app + ":pname", () => el("input", { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "e.g. standard" }));
  const types = kept(a.app + ":ptypes", () => el("input", { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "post.create, like.create, dm.received" }));
  const direction = kept(a.app + ":pdir", () => el("select", null, el("option", { value: "", text: "both / none" }), el("option", { value: "inbound", text: "inbound" }), el("option", { value: "outbound", text: "outbound" })));
  const tag = kept(a.app + ":ptag", () => el("input", { type: "text", autocomplete: "off", placeholder: "optional" }));
  const body = asyncBox(async () => {
    const x = await api("xaa", { app: a.app });
    tierCaps.set(a.app, x.cap);
    return [
      kv([["Tier", x.tier], ["Subscriptions", x.counts.total + " of " + x.cap + " (" + x.counts.remaining + " left)"], ["Users", x.counts.users], ["Lost at X", x.counts.lost_at_x]]),
      table(x.profiles, [["Profile", (p) => el("strong", { text: p.name })], ["Event types", (p) => p.event_types.join(", ")], ["Direction", "direction"], ["Tag", "tag"], ["From", "source"],
        ["", (p) => p.source === "admin" ? actionButton("Delete", async () => {
          if (!confirm("Delete profile " + p.name + "? Users already subscribed keep their subscriptions.")) return;
          await runAction(out, "Deleting...", () => api("deleteProfile", { app: a.app, name: p.name }), () => "profile " + p.name + " deleted.").then(afterAction);
        }, "danger") : el("span", { class: "muted", text: "set in APPS" })]],
        "No profile yet: add one below (or in APPS xaa_profiles).", "XAA profiles of " + a.app),
    ];
  });
  return el("section", { class: "panel" },
    el("h3", { text: "XAA subscription profiles" }),
    body,
    el("form", { class: "inline-form", "aria-label": "Save an XAA profile for " + a.app, onsubmit: () => {
      const spec = { event_types: types.value.split(/[\s,]+/).filter((t) => t) };
      if (direction.value) spec.direction = direction.value;
      if (tag.value.trim()) spec.tag = tag.value.trim();
      runAction(out, "Saving...", () => api("putProfile", { app: a.app, name: name.value.trim() }, null, spec),
        (r) => "profile " + r.name + " saved: " + r.event_types.join(", ") + ". Invite users with it below.").then(afterAction);
    } },
      el("h4", { text: "Add or change a profile" }),
      el("div", { class: "actions" }, field("Name", name), field("Event types", types, "XAA event types, separated by commas"), field("Direction", direction), field("Tag", tag),
        el("button", { type: "submit", text: "Save profile" }))),
    out);
}

function invitePanel(a) {
  const box = outBox(a.app + ":invite");
  const profile = a.flavour === "xaa" ? kept(a.app + ":iprofile", () => el("input", { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "needed with several profiles" })) : null;
  const days = kept(a.app + ":days", () => {
    const d = el("select", null, [[1, "1 day"], [7, "7 days"], [30, "30 days"]].map(([n, t]) => el("option", { value: n, text: t })));
    d.value = "7";
    return d;
  });
  return el("div", { class: "invite" },
    el("h4", { text: "Invite a user" }),
    el("p", { class: "hint", text: "A signed, single-use link: the user opens it, signs in with X, and is subscribed. Send it privately." }),
    el("div", { class: "actions" }, field("Valid for", days), profile ? field("Profile (XAA)", profile) : null,
      actionButton("Create invite link", async () => {
        const req = { ttl_seconds: Number(days.value) * 86400 };
        if (profile && profile.value.trim()) req.profile = profile.value.trim();
        const r = await runAction(box, "Creating...", () => api("invite", { app: a.app }, null, req),
          (r) => "invite created, valid until " + r.expires_at + (r.profile ? ", for profile " + r.profile + " (" + r.event_types.join(", ") + ")" : "") + ".");
        if (!r) return;
        const link = el("input", { type: "text", readonly: true, value: r.url, "aria-label": "Invite link", class: "link-box" });
        const copied = el("span", { class: "muted", role: "status" });
        box.prepend(el("div", { class: "copy" }, link, actionButton("Copy link", async () => {
          link.select();
          try { await navigator.clipboard.writeText(r.url); copied.textContent = "Copied."; }
          catch { copied.textContent = "Select the link and copy it (the browser refused clipboard access)."; }
        }), copied));
      })),
    box);
}

function replayPanel(a) {
  const out = outBox(a.app + ":replay");
  const hours = REPLAY_RULES.lookbackHours[a.flavour] || 0;
  if (!a.replay_supported || hours === 0) return el("section", { class: "panel" }, el("h3", { text: "Replay" }), el("p", { class: "muted", text: "The " + a.flavour + " flavour has no Replay API." }));
  const localIso = (ms) => new Date(ms).toISOString().slice(0, 16);
  const now = Date.now();
  const from = kept(a.app + ":from", () => el("input", { type: "datetime-local", value: localIso(now - 2 * 3600000), required: true }));
  const to = kept(a.app + ":to", () => el("input", { type: "datetime-local", value: localIso(now - (REPLAY_RULES.toMinAgeMinutes + 5) * 60000), required: true }));
  const problem = (f, t, nowMs) => {
    if (Number.isNaN(f) || Number.isNaN(t)) return "Enter both times.";
    if (f >= t) return "The start must be before the end.";
    if (nowMs - t < REPLAY_RULES.toMinAgeMinutes * 60000) return "The end must be at least " + REPLAY_RULES.toMinAgeMinutes + " minutes ago.";
    if (nowMs - f < REPLAY_RULES.fromMinAgeMinutes * 60000) return "The start must be at least " + REPLAY_RULES.fromMinAgeMinutes + " minutes ago.";
    if (nowMs - f > hours * 3600000) return "The start is older than X's " + hours + " h lookback for " + a.flavour + ".";
    return null;
  };
  const jobs = asyncBox(async () => {
    const r = await api("replay", { app: a.app });
    return [
      el("h4", { text: "Delivery gaps" }),
      table(r.gaps, [["Id", "id"], ["State", "state"], ["From", "from_at"], ["To", "to_at"], ["Job", "job_id"], ["Note", "note"]], "No delivery gaps.", "Delivery gaps of " + a.app),
      el("h4", { text: "Replay jobs" }),
      table(r.jobs, [["Job", (j) => el("code", { text: j.job_id })], ["State", "state"], ["From", "from_date"], ["To", "to_date"], ["Requested", (j) => when(j.requested_at)], ["By", "requested_by"], ["Closed", "closed_at"], ["Description", "state_description"]], "No replay jobs.", "Replay jobs of " + a.app),
    ];
  });
  return el("section", { class: "panel" },
    el("h3", { text: "Replay" }),
    el("p", null, "Open job: ", a.open_replay_job ? a.open_replay_job.job_id + " (" + a.open_replay_job.from_date + " to " + a.open_replay_job.to_date + ")" : "none",
      ". Open gap: ", a.open_gap ? "since " + a.open_gap.from_at : "none", "."),
    el("form", { class: "inline-form", "aria-label": "Request a Replay for " + a.app, onsubmit: () => {
      const f = Date.parse(from.value + ":00Z"), t = Date.parse(to.value + ":00Z");
      const p = problem(f, t, Date.now());
      if (p) { fill(out, el("p", { class: "error", role: "alert", text: "Not sent: " + p })); return; }
      if (!confirm("Ask X to replay " + a.app + "'s events from " + from.value + " to " + to.value + " UTC? X allows one job at a time.")) return;
      runAction(out, "Requesting the Replay at X...", () => api("requestReplay", { app: a.app }, null, { from: new Date(f).toISOString(), to: new Date(t).toISOString() }),
        (r) => "X accepted Replay job " + r.x.job_id + " for " + r.job.from_date + " to " + r.job.to_date + (r.covered_gaps && r.covered_gaps.length ? "; it covers gap(s) " + r.covered_gaps.join(", ") : "") + ". Replayed events arrive as usual (deduplicated); a replay_job_status event says when it is done.").then(afterAction);
    } },
      el("h4", { text: "Request a Replay" }),
      el("ul", { class: "rules" },
        el("li", { text: "Times are UTC, to the minute; X replays what it delivered, or tried to, in the window." }),
        el("li", { text: "The start must be at least " + REPLAY_RULES.fromMinAgeMinutes + " minutes ago and the end at least " + REPLAY_RULES.toMinAgeMinutes + " minutes ago (events become replayable about 10 minutes after they happen)." }),
        el("li", { text: "The start must be within the last " + hours + " hours (X's lookback for " + a.flavour + ")." }),
        el("li", { text: "One job per webhook at a time; replayed events are not retried by X. Duplicates are removed here." })),
      el("div", { class: "actions" }, field("From (UTC)", from), field("To (UTC)", to), el("button", { type: "submit", text: "Request Replay" }))),
    out, jobs);
}

function appPanel(a, status) {
  const creds = Object.entries(a.credentials || {}).filter(([, v]) => v).map(([k]) => k);
  return el("details", { id: "app-" + a.app, class: "app" },
    el("summary", null, el("span", { class: "app-name", text: a.app }), " ", el("span", { class: "pill " + status.tone, text: status.state }), " ", el("span", { class: "muted", text: a.flavour })),
    kv([["Flavour", a.flavour], ["Management credentials", creds.join(", ") || "none: calls to X will fail"],
      ["Last delivery from X", when(a.last_delivery_at)], ["Last event created", when(a.last_event_created_at)]]),
    webhookPanel(a),
    subscriptionsPanel(a),
    a.flavour === "xaa" ? profilesPanel(a) : null,
    replayPanel(a),
    el("section", { class: "panel" }, el("h3", { text: "Dead letters" }), asyncBox(async () => {
      const page = await api("appDeadLetters", { app: a.app }, { limit: 1 });
      return el("p", { text: page.counts.total + " dead letter(s) for this app (see Dead letters below)." });
    })));
}

function appsSection(apps, pipeline) {
  const open = new Set([...document.querySelectorAll("details.app[open]")].map((d) => d.id));
  const nowMs = Date.now();
  const typing = $("apps").contains(document.activeElement) ? document.activeElement : null;
  const caret = typing && typeof typing.selectionStart === "number" ? [typing.selectionStart, typing.selectionEnd] : null;
  fill($("apps"), el("h2", { text: "Apps" }), apps.map((a) => {
    const p = appPanel(a, appStatus(a, pipeline, nowMs));
    if (open.has(p.id) || apps.length === 1) p.open = true;
    return p;
  }));
  // A kept field the operator was typing in has moved into the new panel, and moving it blurred it:
  // give it back its focus and caret, so a reload after an action never swallows keystrokes.
  if (typing && typing.isConnected && document.activeElement !== typing) {
    typing.focus();
    if (caret) typing.setSelectionRange(caret[0], caret[1]);
  }
}
`;
