// What one client holds, for counting what it does (failed logins, account requests): an
// IPv4 address is one client, but an IPv6 host is routinely given a whole /64 and can
// use any address in it, so counting its addresses one by one would count nothing. Both
// the per-address login throttle and the account request cap count by this.
import ipaddr from 'ipaddr.js';

/** Clients whose address is unknown (not a valid address) share one count: never none. */
const UNKNOWN_CLIENT = 'unknown';

/**
 * The client network of a normalized address (src/http/client-ip.ts, null when the
 * request's was not an address): the IPv4 address, the IPv6 /64 ("2001:db8:1:2::/64"),
 * or "unknown".
 */
export function clientNetwork(address: string | null): string {
  if (address === null) return UNKNOWN_CLIENT;
  if (!ipaddr.IPv6.isValid(address) || ipaddr.IPv4.isValidFourPartDecimal(address)) return address;
  const parts = ipaddr.IPv6.parse(address).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toRFC5952String()}/64`;
}
