// Names people type are compared as they mean them: "Acme  Ltd" and "acme ltd" are the
// same company, and a full-width or composed character is its plain equivalent.
export function nameKey(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

/** Collapses runs of whitespace and trims, keeping the case the person chose. */
export function tidyName(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/gu, ' ');
}
