/**
 * Saves text as a file from the page itself: a Blob behind a temporary object URL, so
 * nothing is sent anywhere and no inline script is needed (the CSP forbids those).
 */
export function downloadText(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file by the next task; the URL is then only a leak.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
