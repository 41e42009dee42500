/**
 * The AAA→XAA migration rehearsal, end to end against the emulator (the e2e stack: X emulator,
 * the Worker in workerd, a Standard Webhooks sink; harness.ts). Shared by the small e2e test
 * (test/e2e/migration-rehearsal.test.ts, in `npm test`) and the larger recorded run
 * (`npm run rehearse:migration`, scripts/rehearse-migration.ts).
 *
 * A v2 AAA app (APPS `migrating: true`) with three subscribed users; a steady stream of activity
 * (each user's own posts, and deletes of some of them) runs before, throughout and after
 * `migrate` (two runs: the first leaves both APIs delivering, see below), which moves every user to XAA (the public types `post.create` and `post.delete`:
 * the demo users have no OAuth 2.0 grant, and these are the types the stream produces), then
 * AAA is retired on the emulator's virtual clock and the stream goes on. Downstream, every
 * unique event must arrive exactly once, and the emulator must hold no AAA subscription.
 */
import { normaliseDelivery } from "../../src/events/normalise.ts";
import { DEMO_USERS, registerAndSubscribe, startStack, type SinkRecord, type Stack } from "./harness.ts";

const USERS = [DEMO_USERS.alice, DEMO_USERS.bob, DEMO_USERS.carol];
export const REHEARSAL_TYPES = ["post.create", "post.delete"];

export interface RehearsalOptions {
  /** Events emitted before the migration starts, during it (at least), and after AAA retires. */
  before: number;
  during: number;
  after: number;
  /** How long to wait for the sink to receive everything (ms). */
  drainTimeoutMs: number;
  log?: (line: string) => void;
}

export interface RehearsalResult {
  generated: number;
  /** Unique events expected downstream (one per event per user it concerns). */
  expected: number;
  received: number;
  unique_received: number;
  duplicates: number;
  lost: number;
  /** Events published per `format` (aaa or xaa). */
  by_format: Record<string, number>;
  migrate_runs: { state: string; actions: number; stopped: unknown }[];
  aaa_subscriptions_left: number;
  xaa_subscriptions: number;
  emitted_during_migration: number;
  /** Events X delivered through AAA and through XAA (the overlap); each arrived downstream once. */
  delivered_through_both: number;
  aaa_retired_at: string;
}

/** The key one event has downstream whichever API delivered it. */
function keyOf(e: { activity?: string; object_key?: string; for_user_id?: string | null }): string {
  const family = e.activity === "post.delete" ? "post.delete" : "post";
  return `${family}|${e.object_key ?? "?"}|${e.for_user_id ?? "-"}`;
}

class Stream {
  readonly expected = new Set<string>();
  generated = 0;
  private readonly tweets: { id: string; user: string }[] = [];
  private seq = 0;
  private readonly stack: Stack;
  constructor(stack: Stack) {
    this.stack = stack;
  }

  /** One activity: mostly a user's own post; every fourth, a delete of an earlier post. */
  async emitOne(): Promise<void> {
    const n = this.seq++;
    const user = USERS[n % USERS.length]!;
    if (n % 4 === 3 && this.tweets.length > 0) {
      const victim = this.tweets.splice(n % this.tweets.length, 1)[0]!;
      await this.stack.emulator.emit({ type: "tweet_delete", user_id: victim.user, tweet_id: victim.id });
      this.expected.add(`post.delete|post:${victim.id}|${victim.user}`);
    } else {
      const r = await this.stack.emulator.emit({ type: "tweet", user_id: user.id, text: `rehearsal ${n}` });
      const id = r.ids.tweet_id!;
      this.tweets.push({ id, user: user.id });
      this.expected.add(`post|post:${id}|${user.id}`);
    }
    this.generated++;
  }

  async emit(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.emitOne();
  }
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Wait until every expected key has arrived, then a short quiet spell for late duplicates. */
async function drain(stack: Stack, expected: ReadonlySet<string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const seen = () => new Set(stack.sink.received.map((r: SinkRecord) => keyOf(r.envelope ?? {})));
  while (Date.now() < deadline) {
    const got = seen();
    if ([...expected].every((k) => got.has(k))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  let count = -1;
  while (count !== stack.sink.received.length && Date.now() < deadline) {
    count = stack.sink.received.length;
    await new Promise((r) => setTimeout(r, 1500));
  }
}

export async function runRehearsal(opts: RehearsalOptions): Promise<RehearsalResult> {
  const log = opts.log ?? (() => undefined);
  const stack = await startStack({ vars: { APPS: JSON.stringify([{ name: "default", flavour: "v2", migrating: true }]) } });
  try {
    await registerAndSubscribe(stack, stack.webhookUrl(), USERS);
    const stream = new Stream(stack);
    log(`AAA only: ${opts.before} events`);
    await stream.emit(opts.before);

    const plan = await json(await stack.admin("/admin/apps/default/migration", { method: "POST", body: JSON.stringify({ dry_run: true, types: REHEARSAL_TYPES }) }));
    log(`dry run: ${JSON.stringify(plan.plan)}`);

    // The steady stream runs throughout the migration.
    let migrating = true;
    let during = 0;
    const background = (async () => {
      while (migrating || during < opts.during) {
        await stream.emitOne();
        during++;
      }
    })();
    const runs: RehearsalResult["migrate_runs"] = [];
    const migrate = async (confirmBy: string) => {
      const r = await json(await stack.admin("/admin/apps/default/migration", { method: "POST", body: JSON.stringify({ types: REHEARSAL_TYPES, confirm_by: confirmBy }) }));
      runs.push({ state: String(r.state), actions: (r.actions as unknown[]).length, stopped: r.stopped });
      log(`migrate run ${runs.length} (confirm by ${confirmBy}): ${String(r.state)}, ${(r.actions as unknown[]).length} actions, counts ${JSON.stringify(r.counts)}`);
      return r;
    };
    // Run 1 confirms by first XAA event, which this version never records: it creates every XAA
    // subscription and stops there, so both APIs deliver while the stream goes on (the overlap
    // the cross-API dedup is for). Later runs confirm by X's list and remove AAA.
    await migrate("first_event");
    await stream.emit(opts.during);
    for (let i = 0; i < 4; i++) if ((await migrate("subscription_list")).state === "complete") break;
    migrating = false;
    await background;

    const retiredAt = stack.emulator.clock.now();
    stack.emulator.retireAaa(retiredAt);
    log(`AAA retired at ${new Date(retiredAt).toISOString()}; XAA only: ${opts.after} events`);
    await stream.emit(opts.after);

    await drain(stack, stream.expected, opts.drainTimeoutMs);
    const received = stack.sink.received.filter((r) => r.envelope !== null);
    const keys = received.map((r) => keyOf(r.envelope));
    const unique = new Set(keys);
    const byFormat: Record<string, number> = {};
    for (const r of received) byFormat[String(r.envelope.format)] = (byFormat[String(r.envelope.format)] ?? 0) + 1;
    const webhooks = [...stack.emulator.state.webhooks.values()].filter((w) => w.appName === "default");
    // Events X delivered through both APIs (the overlap): each must still arrive once.
    const apis = new Map<string, Set<string>>();
    for (const d of stack.emulator.state.deliveries) {
      if (d.outcome !== "delivered") continue;
      for (const e of normaliseDelivery(d.body, { app: "default", received_at: "", delivery_id: d.deliveryId })) {
        const k = keyOf(e);
        apis.set(k, (apis.get(k) ?? new Set<string>()).add(d.api));
      }
    }
    return {
      generated: stream.generated,
      expected: stream.expected.size,
      received: received.length,
      unique_received: unique.size,
      duplicates: received.length - unique.size,
      lost: [...stream.expected].filter((k) => !unique.has(k)).length,
      by_format: byFormat,
      migrate_runs: runs,
      aaa_subscriptions_left: webhooks.reduce((n, w) => n + w.subscriptions.size, 0),
      xaa_subscriptions: stack.emulator.state.xaaSubscriptionsOfApp("default").length,
      emitted_during_migration: during,
      delivered_through_both: [...apis.values()].filter((set) => set.size === 2).length,
      aaa_retired_at: new Date(retiredAt).toISOString(),
    };
  } finally {
    await stack.stop();
  }
}
