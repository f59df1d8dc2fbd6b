// When this browser's session was last used, by any of its tabs, and the tabs' channel for
// a session ended or replaced in one of them. A leaf module: the API door (api.ts) notes
// each use here, and the session watch (useSessionWatch.ts) reads it.

const LAST_USE_KEY = 'gatehouse.sessionLastUsed';
const CHANNEL = 'gatehouse.session';

/** Every tab's calls use the one session cookie: the latest of them is the session's last use. */
export function noteSessionUsed(now = Date.now()): void {
  try {
    window.localStorage.setItem(LAST_USE_KEY, String(now));
  } catch {
    lastUseHere = now; // Storage refused: this tab's own calls only.
  }
}
let lastUseHere = 0;

export function sessionLastUsed(): number {
  try {
    return Number(window.localStorage.getItem(LAST_USE_KEY)) || lastUseHere;
  } catch {
    return lastUseHere;
  }
}

/**
 * The session's limits as the latest GET /api/me gave them, its absolute end counted on this
 * page's own clock from the answer's `secondsLeft` (a computer whose clock is off must not
 * think the session over, or never over).
 */
let limits: { idleMs: number; endsAtHere: number } | null = null;
export function noteSessionLimits(idleMinutes: number, secondsLeft: number, now = Date.now()): void {
  limits = { idleMs: idleMinutes * 60_000, endsAtHere: now + secondsLeft * 1000 };
}
/** When, on this page's clock, the session is over unless used again: undefined until /api/me answered. */
export function sessionOverAt(): number | undefined {
  return limits ? Math.min(sessionLastUsed() + limits.idleMs, limits.endsAtHere) : undefined;
}

export type SessionNews = { kind: 'signed-out' } | { kind: 'signed-in' };

// One channel object per tab, for sending and hearing: a message never comes back to the
// object that sent it, so a tab does not hear its own news.
let channel: BroadcastChannel | null = null;
const listeners = new Set<(news: SessionNews) => void>();
function tabChannel(): BroadcastChannel | null {
  if (typeof BroadcastChannel === 'undefined') return null;
  if (!channel) {
    channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (event: MessageEvent<SessionNews>) => listeners.forEach((listener) => listener(event.data));
  }
  return channel;
}

/** Tells this browser's other tabs (BroadcastChannel: every engine Gatehouse supports). */
export function tellOtherTabs(news: SessionNews): void {
  tabChannel()?.postMessage(news);
}

/** Listens for the other tabs' news; answers the function that stops listening. */
export function hearOtherTabs(listener: (news: SessionNews) => void): () => void {
  tabChannel();
  listeners.add(listener);
  return () => listeners.delete(listener);
}
