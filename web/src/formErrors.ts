import type { ApiError, FieldErrors } from './api';

/**
 * Splits an API error into messages under inputs and a summary for the Alert. Some codes
 * carry no `fields` but clearly belong to one input (a taken company name); those are
 * moved under that input instead of being shown twice. When such a code does name its
 * field (a wrong current password, a refused code), the field's own words are enough.
 */
export function formErrors(error: ApiError | null, codeToField: Record<string, string> = {}) {
  if (!error) return { fields: {} as FieldErrors, summary: null };
  const fields: FieldErrors = { ...error.fields };
  const field = codeToField[error.code];
  if (field && !fields[field]) fields[field] = error.message;
  const summary = field ? null : error.message;
  return { fields, summary };
}
