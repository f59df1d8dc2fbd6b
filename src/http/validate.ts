// zod at the edge: a request that does not fit its schema becomes one 400 with a message
// per field, and the handler receives typed, trimmed values.
import { z } from 'zod';
import { GatehouseError } from '../errors.ts';

// The field rules live in the contract (src/contract/fields.ts), shared with the web app.
export * from '../contract/fields.ts';

/** One message per field (the first zod reports), under the field's dotted path; `_` for the whole request. */
export function invalidInputError(error: z.ZodError): GatehouseError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    fields[key] ??= issue.message;
  }
  return new GatehouseError('request.invalid', { fields });
}

export function parseInput<T extends z.ZodType>(schema: T, data: unknown): z.output<T> {
  const result = schema.safeParse(data ?? {});
  if (result.success) return result.data;
  throw invalidInputError(result.error);
}

