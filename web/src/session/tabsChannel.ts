// The browser's Gatehouse tabs tell each other when its session ends or changes in one of
// them (useSessionWatch.ts listens; the API door, api.ts, tells). A leaf module.

const CHANNEL = 'gatehouse.session';

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
