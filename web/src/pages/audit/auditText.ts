import type { AuditEvent } from '../../api/audit';

export { detailText } from './detailText.ts';

/** Who acted: a username when known, "Gatehouse CLI" for command-line decisions, or an API client. */
export function actorText(event: AuditEvent): string {
  if (event.apiClient) return `API client "${event.apiClient.name}"`;
  if (!event.actor) return '—';
  if (event.actor.id === 'cli') return 'Gatehouse CLI';
  return event.actor.username ?? (typeof event.detail?.actorUsername === 'string' ? event.detail.actorUsername : 'Unknown user');
}

/**
 * Whom it was about: the username recorded with the event; the actor themself (a login);
 * the company (a policy change); else the raw target id.
 */
export function targetText(event: AuditEvent): string {
  const username = event.detail?.username;
  if (typeof username === 'string') return username;
  if (event.target && event.target === event.actor?.id && event.actor.username) return event.actor.username;
  if (event.target && event.target === event.companyId) return event.companyName ?? 'The company';
  if (event.action.startsWith('api_client.') && typeof event.detail?.name === 'string') return `API client "${event.detail.name}"`;
  return event.target ?? '—';
}
