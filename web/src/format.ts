/** A readable local date and time, or '' when the server sent nothing usable. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A request's age as operators read it against the 24 to 48 hour promise: "3 h", "2 d 5 h". */
export function formatAge(hours: number): string {
  if (!Number.isFinite(hours) || hours < 1) return '< 1 h';
  const whole = Math.floor(hours);
  if (whole < 48) return `${whole} h`;
  const rest = whole % 24;
  return rest ? `${Math.floor(whole / 24)} d ${rest} h` : `${Math.floor(whole / 24)} d`;
}

/** "Acme's", "Northwind Traders'": English possessive of a name. */
export function possessive(name: string): string {
  return /s$/i.test(name) ? `${name}’` : `${name}’s`;
}

/** "root_master" -> "Root Master", for role and status codes without a nicer name. */
export function humanize(code: string): string {
  return code
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** A Retry-After header's seconds (Gatehouse sends delay-seconds); undefined for none or nonsense. */
export function retryAfterSeconds(retryAfter: string | null): number | undefined {
  const seconds = Number(retryAfter);
  return retryAfter && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * When a wait the server gave (Retry-After, in seconds) ends, as people read it: "in 3
 * minutes", or past an hour "at 14:05" (with the day when it is not today). Undefined
 * for no usable wait.
 */
export function waitEnds(retryAfter: string | null, now: Date = new Date()): string | undefined {
  const seconds = retryAfterSeconds(retryAfter);
  if (seconds === undefined) return undefined;
  const minutes = Math.ceil(seconds / 60);
  if (minutes <= 60) return minutes === 1 ? 'in a minute' : `in ${minutes} minutes`;
  const end = new Date(now.getTime() + seconds * 1000);
  const time = end.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return end.toDateString() === now.toDateString() ? `at ${time}` : `on ${end.toLocaleDateString(undefined, { weekday: 'long' })} at ${time}`;
}
