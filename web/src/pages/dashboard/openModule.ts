/**
 * Opens a module in a new window. Call it synchronously from the click handler, so the
 * browser counts the pop-up as user-initiated. Returns false when a blocker stopped it.
 *
 * No "noopener" in the features: with it, window.open returns null even when the window
 * opened, and a blocked pop-up could no longer be told apart. The opener link is cut by
 * hand instead, at once, so the module can never navigate this tab (reverse tabnabbing).
 */
export function openInNewWindow(url: string): boolean {
  const popup = window.open(url, '_blank');
  if (!popup) return false;
  try {
    popup.opener = null;
  } catch {
    // Only a window that is already cross-origin refuses the write, and our COOP header
    // (same-origin) keeps such a window out of reach of this one anyway.
  }
  return true;
}

/** The fallback when pop-ups are blocked: the module replaces the portal in this tab. */
export function openInThisTab(url: string) {
  window.location.assign(url);
}
