// PLACEHOLDER: replaced by its owner's work.
import { DurableObject } from "cloudflare:workers";
export class Spool extends DurableObject<Env> {}
