/** Reading a control-API activity request: typed field access with 400-worthy errors. */

export class ActivityError extends Error {
  override readonly name = "ActivityError";
}

export type Input = Record<string, unknown>;

export function str(input: Input, key: string, required: true): string;
export function str(input: Input, key: string, required?: false): string | undefined;
export function str(input: Input, key: string, required = false): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required) throw new ActivityError(`${key} is required`);
    return undefined;
  }
  if (typeof v !== "string") throw new ActivityError(`${key} must be a string`);
  return v;
}

export function id(input: Input, key: string): string {
  const v = str(input, key, true);
  if (!/^\d{1,20}$/.test(v)) throw new ActivityError(`${key} must be a decimal id string`);
  return v;
}

export function optionalId(input: Input, key: string): string | undefined {
  return input[key] === undefined || input[key] === null ? undefined : id(input, key);
}

export function oneOf<T extends string>(input: Input, key: string, values: readonly T[]): T {
  const v = str(input, key, true);
  if (!(values as readonly string[]).includes(v)) throw new ActivityError(`${key} must be one of ${values.join(", ")}`);
  return v as T;
}
