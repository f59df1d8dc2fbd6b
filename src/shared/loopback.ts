// This machine, as a URL names it: where plain http is allowed (a module or a company's
// provider in development), and what makes a portal a development one.
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `URL.hostname` names this machine. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}
