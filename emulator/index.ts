/** Public entry of the X emulator (Node only; src/ never imports it). */
export { startEmulator, type RunningEmulator, type StartOptions } from "./server.ts";
export { Clock } from "./clock.ts";
export { demoWorld, defaultSettings, type AppDef, type UserDef, type EmulatorConfig } from "./config.ts";
export { buildConfig, type EmulatorConfigInput } from "./config-load.ts";
export { oauthAuthorizationHeader, percentEncode, signatureBaseString, hmacSha1 } from "./oauth1.ts";
export { sha256Signature } from "./crc.ts";
export type { EmitResult } from "./control.ts";
export type { IssuedTokens } from "./oauth2-store.ts";
export type { XaaSubscription, XaaFilter } from "./state.ts";
export { XAA_EVENT_TYPES, requiredScope } from "./xaa-types.ts";
