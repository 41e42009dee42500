/**
 * Command-specific views for the CLI's human output (the generic one is print.ts): the status
 * table, the dead-letter counts line, the pipeline summary. Pure; the clock is passed in.
 */
import { cell, table } from "./print.ts";

/** `{b: 1, a: 5}` -> "a 5, b 1" (largest first). */
function tallies(counts: Record<string, unknown>): string {
  return Object.entries(counts)
    .filter((e): e is [string, number] => typeof e[1] === "number")
    .sort(([ak, an], [bk, bn]) => bn - an || ak.localeCompare(bk))
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

/** Pure: the one-line header of a dead-letter listing ("7 dead letters (by origin: ...; by app: ...)"), or null. */
export function deadLetterCountsLine(body: unknown): string | null {
  const counts = (body as { counts?: unknown } | null)?.counts as { total?: unknown; by_app?: unknown; by_from?: unknown } | undefined;
  if (counts === undefined || counts === null || typeof counts.total !== "number") return null;
  const n = counts.total;
  const from = typeof counts.by_from === "object" && counts.by_from !== null ? tallies(counts.by_from as Record<string, unknown>) : "";
  const apps = typeof counts.by_app === "object" && counts.by_app !== null ? tallies(counts.by_app as Record<string, unknown>) : "";
  return n === 0 ? "0 dead letters" : `${n} dead letter${n === 1 ? "" : "s"} (by origin: ${from}; by app: ${apps})`;
}

/**
 * Pure: for `pipeline`, one line per queue ("aae-ingest: 3 waiting (1.2 KB), oldest 95 s") and one
 * for the forward destination, or null when the body is not the pipeline status.
 */
export function pipelineLines(body: unknown, nowMs: number): string | null {
  const b = body as { queues?: unknown; forward?: unknown; forward_destinations?: unknown; dead_letters?: unknown } | null;
  if (!Array.isArray(b?.queues)) return null;
  const lines = (b.queues as unknown[]).map((x) => {
    const q = x as { queue?: unknown; error?: unknown; backlog_count?: unknown; backlog_bytes?: unknown; oldest_age_seconds?: unknown };
    if (typeof q.error === "string") return `${String(q.queue)}: metrics ${q.error}`;
    const age = typeof q.oldest_age_seconds === "number" ? `, oldest ${q.oldest_age_seconds} s` : "";
    return `${String(q.queue)}: ${String(q.backlog_count)} waiting (${String(q.backlog_bytes)} bytes)${age}`;
  });
  type Dest = { destination_host?: unknown; apps?: unknown; phase?: unknown; open_since?: unknown; error?: unknown };
  // Every destination (apps may forward to their own forward_url); older servers sent only `forward`.
  const dests = (Array.isArray(b.forward_destinations) ? b.forward_destinations : b.forward ? [b.forward] : []) as Dest[];
  if (dests.length === 0) lines.push("forward: off (no FORWARD_URL or forward_url)");
  for (const f of dests) {
    const apps = Array.isArray(f.apps) && f.apps.length > 0 ? ` (${f.apps.map(String).join(", ")})` : "";
    if (typeof f.error === "string") lines.push(`forward to ${String(f.destination_host)}${apps}: state ${f.error}`);
    else lines.push(`forward to ${String(f.destination_host)}${apps}: circuit ${String(f.phase)}${typeof f.open_since === "string" ? `, failing since ${cell(f.open_since, nowMs)}` : ""}`);
  }
  const d = b.dead_letters as { total?: unknown } | undefined;
  if (typeof d?.total === "number") lines.push(`dead letters: ${d.total}`);
  return lines.join("\n");
}


type AppHealthView = {
  app?: unknown; flavour?: unknown; webhook?: { valid?: unknown; url?: unknown; last_recheck_error?: unknown } | null;
  last_crc_from_x?: unknown; last_delivery_at?: unknown; subscription_count?: unknown; silence_alert_hours?: unknown;
  signature_failures?: { total?: unknown; streak_count?: unknown; last_at?: unknown; refusing_now?: unknown } | null;
  last_revalidation?: { status?: unknown; detail?: unknown } | null;
};

/**
 * Pure: `status` as a table (one row per app: webhook, last CRC and delivery, subscriptions,
 * refused signatures, last revalidation), then one line per problem worth reading, or null
 * when the body is not app health.
 */
export function statusView(body: unknown, nowMs: number): string | null {
  const b = body as { apps?: unknown; app?: unknown } | null;
  const apps = (Array.isArray(b?.apps) ? b.apps : typeof b?.app === "string" ? [b] : []) as AppHealthView[];
  if (apps.length === 0 || apps.some((a) => typeof a?.app !== "string")) return null;
  const rows = apps.map((a) => {
    const sf = a.signature_failures;
    return {
      app: a.app,
      flavour: a.flavour,
      webhook: a.webhook ? (a.webhook.valid === true ? "valid" : "INVALID") : "none",
      "last CRC from X": a.last_crc_from_x ?? "never",
      "last delivery": a.last_delivery_at ?? "never",
      users: a.subscription_count,
      "refused signatures": sf ? `${String(sf.total)}${sf.refusing_now === true ? " (REFUSING NOW)" : ""}` : "0",
      revalidation: a.last_revalidation?.status ?? "not run",
    };
  });
  const notes: string[] = [];
  for (const a of apps) {
    const sf = a.signature_failures;
    if (sf?.refusing_now === true) {
      notes.push(`${String(a.app)}: the receiver is refusing X's signatures (${String(sf.streak_count)} since the streak began, last ${cell(sf.last_at, nowMs)}): the consumer secret here probably differs from the app's.`);
    }
    if (a.webhook && a.webhook.valid !== true && typeof a.webhook.last_recheck_error === "string") notes.push(`${String(a.app)}: webhook invalid: ${a.webhook.last_recheck_error}`);
    if (typeof a.last_revalidation?.detail === "string") notes.push(`${String(a.app)}: last revalidation: ${a.last_revalidation.detail}`);
    const silence = typeof a.silence_alert_hours === "number" ? `silence alert after ${a.silence_alert_hours} h` : "silence alert off";
    notes.push(`${String(a.app)}: ${silence}`);
  }
  return [table(rows, nowMs), "", ...notes].join("\n");
}
