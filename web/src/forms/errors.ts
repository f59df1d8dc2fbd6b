// How a form's errors behave, as pure functions (tested in test/web/form-errors.test.ts):
// one message per field, server errors under the field they name, and a field's message
// gone as soon as the user edits that field.
// No imports: the unit tests run this file on Node as it is.

type FieldErrors = Record<string, string>;
/** What an ApiError carries that a form shows (web/src/api.ts). */
interface RefusedRequest {
  code: string;
  message: string;
  fields: FieldErrors;
}

/**
 * Splits an API error into messages under inputs and a summary for the Alert. Some codes
 * carry no `fields` but clearly belong to one input (a taken company name); those are
 * moved under that input instead of being shown twice. When such a code does name its
 * field (a wrong current password), the field's own words are enough, unless
 * `codeMessageWins`: then the code's fuller message replaces them (a refused TOTP code's
 * advice about the phone's clock), still as the field's one message.
 */
export function formErrors(
  error: RefusedRequest | null,
  codeToField: Record<string, string> = {},
  { codeMessageWins = false } = {},
) {
  if (!error) return { fields: {} as FieldErrors, summary: null };
  const fields: FieldErrors = { ...error.fields };
  const field = codeToField[error.code];
  if (field && (codeMessageWins || !fields[field])) fields[field] = error.message;
  const summary = field ? null : error.message;
  return { fields, summary };
}

/** The top-level fields whose value differs between two snapshots of a form. */
export function editedFields(previous: Record<string, unknown>, next: Record<string, unknown>): string[] {
  const names = new Set([...Object.keys(previous), ...Object.keys(next)]);
  return [...names].filter((name) => !Object.is(previous[name], next[name]));
}

/**
 * The errors left once `edited` fields changed: each edited field loses its message and
 * its items' (`ipAllowlist.2`), and so do the fields `linked` to it (editing the password
 * makes "The passwords do not match." under Confirm Password stale too).
 */
export function clearEdited<E extends Record<string, unknown>>(
  errors: E,
  edited: string[],
  linked: Record<string, string[]> = {},
): E {
  const cleared = new Set(edited.flatMap((name) => [name, ...(linked[name] ?? [])]));
  if (cleared.size === 0) return errors;
  const belongs = (key: string) => [...cleared].some((name) => key === name || key.startsWith(`${name}.`));
  const kept = Object.entries(errors).filter(([key]) => !belongs(key));
  return kept.length === Object.keys(errors).length ? errors : (Object.fromEntries(kept) as E);
}

/**
 * One message per field: the first for each field wins (a check made in the browser
 * before a server's), so a field never shows two messages at once.
 */
export function firstPerField(...sources: FieldErrors[]): FieldErrors {
  const merged: FieldErrors = {};
  for (const source of sources) {
    for (const [field, message] of Object.entries(source)) if (message && !merged[field]) merged[field] = message;
  }
  return merged;
}
