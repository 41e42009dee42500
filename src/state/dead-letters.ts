// PLACEHOLDER: replaced by the pipeline work (issue 2 / 5).
import { DurableObject } from "cloudflare:workers";
export class DeadLetters extends DurableObject<Env> {}
