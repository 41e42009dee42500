// PLACEHOLDER: replaced by the receiver hot-path work (issue 2).
import type { IRequest } from "itty-router";
export async function handleWebhookGet(_req: IRequest, _env: Env, _ctx: ExecutionContext): Promise<Response> {
  return new Response("not implemented", { status: 501 });
}
export async function handleWebhookPost(_req: IRequest, _env: Env, _ctx: ExecutionContext): Promise<Response> {
  return new Response("not implemented", { status: 501 });
}
