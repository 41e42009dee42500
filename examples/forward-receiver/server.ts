/**
 * A FORWARD_URL endpoint in plain Node (22+): verifies each POST, drops duplicates by
 * `webhook-id`, and answers 2xx only once the effect is done (a non-2xx makes the receiver retry
 * with backoff; 400/401/403/404/410/413 dead-letter the envelope at once, see docs/pipeline.md).
 *
 *   FORWARD_SECRET=whsec_... PORT=9000 npx node examples/forward-receiver/server.ts
 */
import { createServer } from "node:http";
import { RecentIds, verifyForwarded, WebhookVerificationError } from "./verify.ts";

const secret = process.env.FORWARD_SECRET ?? "";
if (!secret.startsWith("whsec_")) throw new Error("set FORWARD_SECRET to the receiver's whsec_... secret");
const port = Number(process.env.PORT ?? "9000");
const seen = new RecentIds();

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    let forwarded;
    try {
      forwarded = verifyForwarded(secret, Buffer.concat(chunks).toString("utf8"), headers);
    } catch (error) {
      // 401 dead-letters the envelope on the receiver's side: fix the secret, then redrive.
      res.writeHead(error instanceof WebhookVerificationError ? 401 : 400).end();
      return;
    }
    if (!seen.has(forwarded.id)) {
      // Your effect here. Throwing before the 2xx means the receiver will deliver it again.
      console.log(`${String(forwarded.envelope.type)} ${forwarded.id}`);
      seen.add(forwarded.id);
    }
    res.writeHead(204).end();
  });
}).listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
