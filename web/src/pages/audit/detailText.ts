// How an audit event's detail reads in the log's detail column. Apart from auditText.ts and
// free of imports, so the server's tests can check the wording (test/web/audit-text.test.ts).

// Kept out of the detail column: they are shown as the actor and the target already.
const SHOWN_ELSEWHERE = new Set(['username', 'actorUsername']);

const valueText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Details read better in words than as JSON: the API clients a demotion or deactivation stopped. */
const IN_WORDS: Record<string, (value: unknown) => string | null> = {
  apiClientsStopped: (value) =>
    Array.isArray(value) && value.every((c) => typeof c?.name === 'string' && typeof c?.clientId === 'string')
      ? `API clients stopped: ${value.map((c: { name: string; clientId: string }) => `"${c.name}" (${c.clientId})`).join(', ')}`
      : null,
};

/** "reason: wrong_password · from: user" from an event's detail. */
export function detailText(event: { detail: Record<string, unknown> | null }): string {
  if (!event.detail) return '';
  return Object.entries(event.detail)
    .filter(([key]) => !SHOWN_ELSEWHERE.has(key))
    .map(([key, value]) => IN_WORDS[key]?.(value) ?? `${key}: ${valueText(value)}`)
    .join(' · ');
}
