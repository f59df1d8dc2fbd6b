// What one client holds, for counting what it does (failed logins, account requests): an
// IPv4 address is one client, but an IPv6 host is routinely given a whole /64 and can
// use any address in it, so counting its addresses one by one would count nothing. Both
// the per-address login throttle and the account request cap count by this.
import ipaddr from 'ipaddr.js';

/** The client network of a normalized address (src/http/client-ip.ts): the IPv4 address, or the IPv6 /64 ("2001:db8:1:2::/64"). */
export function clientNetwork(address: string): string {
  if (!ipaddr.IPv6.isValid(address) || ipaddr.IPv4.isValidFourPartDecimal(address)) return address;
  const parts = ipaddr.IPv6.parse(address).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toRFC5952String()}/64`;
}
