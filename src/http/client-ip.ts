// Who the client is. Behind reverse proxies the connection comes from the last proxy,
// and each proxy appends the address it saw to X-Forwarded-For. Only entries written by
// proxies we trust mean anything: everything left of them was written by the client. So
// the chain is walked from the connection leftwards, past trusted proxies only, and the
// first address not vouched for is the client. Fastify (request.ip) and the OpenID
// Connect provider (Koa's ctx.ip) both take it from here, and nothing that is not a
// valid address is ever used as one.
import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';

/**
 * GATEHOUSE_TRUST_PROXY parsed: trust no proxy, the nearest `hops` proxies, or proxies
 * whose address is in one of `ranges` ("network/prefix").
 */
export type ProxyTrust =
  | { kind: 'none' }
  | { kind: 'hops'; hops: number }
  | { kind: 'ranges'; ranges: readonly string[] };

/** proxy-addr's names for common ranges, so "loopback,uniquelocal" reads as intended. */
export const LOOPBACK_RANGES: readonly string[] = Object.freeze(['127.0.0.0/8', '::1/128']);
const PRESETS: Record<string, readonly string[]> = {
  loopback: LOOPBACK_RANGES,
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const MAX_HOPS = 10;

/** The setting as written; a string is the reason it is refused. */
export function parseProxyTrust(value: string): ProxyTrust | string {
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'false' || text === '0') return { kind: 'none' };
  if (text === 'true') {
    return (
      '"true" would trust every X-Forwarded-For entry, so any client could choose its own address. ' +
      'Write how many proxies stand in front of Gatehouse (1 behind one nginx) or their addresses ' +
      '(for example 127.0.0.1 or 10.0.0.0/8, comma-separated).'
    );
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops <= MAX_HOPS ? { kind: 'hops', hops } : `at most ${MAX_HOPS} proxies in a row.`;
  }
  const ranges = parseAddressRanges(text);
  if (typeof ranges === 'string') return `${ranges.slice(0, -1)}, or a number of proxies.`;
  // A range of every address trusts every X-Forwarded-For entry, as "true" would.
  const everyone = ranges.find((range) => range.endsWith('/0'));
  if (everyone) return `"${everyone}" would trust every address as a proxy, so any client could choose its own address. Name the proxies' addresses or ranges, or how many stand in front.`;
  return { kind: 'ranges', ranges };
}

/**
 * A comma-separated list of addresses, CIDR ranges and the names loopback, linklocal and
 * uniquelocal, as "network/prefix" strings; a string ending in "." is the reason it is refused.
 */
export function parseAddressRanges(text: string): string[] | `${string}.` {
  const ranges: string[] = [];
  for (const entry of text.toLowerCase().split(',').map((part) => part.trim())) {
    const preset = PRESETS[entry];
    if (preset) {
      ranges.push(...preset);
      continue;
    }
    const range = parseRange(entry);
    if (!range) return `"${entry}" is not an IP address, a CIDR range or loopback/linklocal/uniquelocal.`;
    ranges.push(`${range[0].toString()}/${range[1]}`);
  }
  return ranges;
}

/** Whether a normalized address lies in one of the ranges ("network/prefix"). */
export function inAddressRanges(address: string, ranges: readonly string[]): boolean {
  const parsed = parseAddress(address);
  return (
    parsed !== undefined &&
    ranges.some((range) => {
      const [network, prefix] = ipaddr.parseCIDR(range);
      return parsed.kind() === network.kind() && parsed.match(network, prefix);
    })
  );
}

function parseRange(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  const [address = '', prefix, extra] = text.split('/');
  const parsed = parseAddress(address);
  if (!parsed || extra !== undefined) return undefined;
  const max = parsed.kind() === 'ipv4' ? 32 : 128;
  if (prefix === undefined) return [parsed, max];
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return undefined;
  return [parsed, Number(prefix)];
}

/**
 * Strict: dotted quads only (no "127.1" or hex), IPv6 without zone; mapped IPv4
 * (::ffff:a.b.c.d) unwrapped. ipaddr.js parses any "::a.b.c.d" as ::ffff:a.b.c.d, so the
 * IPv4-compatible ::c633:6407, spelled "::198.51.100.7" (as Node itself writes it),
 * became 198.51.100.7 and passed an allowlist that refused it spelled in hex. An IPv6
 * address with a dotted tail is read by the URL parser first, as the allowlist's ranges
 * are (src/companies/ip-ranges.ts), which writes the tail in hex.
 */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
  const hex = text.includes('.') ? hexTailed(text) : text;
  if (hex === undefined) return undefined;
  const v6 = ipaddr.IPv6.parse(hex);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** An IPv6 address whose last 32 bits are written as a dotted quad, written in hex; undefined if the URL parser refuses it ("::1.2.3.04"). */
function hexTailed(text: string): string | undefined {
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/**
 * One textual form per address (IPv4 dotted, IPv4-mapped IPv6 as IPv4, IPv6 in RFC 5952),
 * or null when the text is not an address: never store or compare anything else.
 */
export function normalizeAddress(text: string | null | undefined): string | null {
  if (!text) return null;
  let normal = normalized.get(text);
  if (normal === undefined) {
    const parsed = parseAddress(text.trim());
    normal = parsed ? (parsed.kind() === 'ipv4' ? parsed.toString() : (parsed as ipaddr.IPv6).toRFC5952String()) : null;
    // A pure function of the text: remembered for the addresses seen last. Every request
    // asks several times (the HTTP layer, the provider's ctx.ip), mostly from few clients,
    // and parsing with ipaddr.js was about 1% of a token request. Bounded, so a flood of
    // distinct texts costs a cleared map, not memory (and only address-sized texts are kept).
    if (normalized.size >= NORMALIZED_KEPT) normalized.clear();
    if (text.length <= 64) normalized.set(text, normal);
  }
  return normal;
}
const NORMALIZED_KEPT = 4096;

const normalized = new Map<string, string | null>();

/**
 * Whether the address `hop` steps from us (0 = the connection's peer) is a proxy we
 * trust. A malformed entry is never trusted, so the walk stops at it (and it is refused
 * as a client address). Fastify gets this as its trustProxy function.
 */
export function trustedHop(trust: ProxyTrust): (address: string, hop: number) => boolean {
  if (trust.kind === 'none') return () => false;
  if (trust.kind === 'hops') return (address, hop) => hop < trust.hops && normalizeAddress(address) !== null;
  const ranges = trust.ranges.map((range) => ipaddr.parseCIDR(range));
  return (address) => {
    const parsed = parseAddress(address.trim());
    return parsed !== undefined && ranges.some(([network, prefix]) => parsed.kind() === network.kind() && parsed.match(network, prefix));
  };
}

/** The client's address for a raw request, walked as proxy-addr does; null when not an address. */
export function clientAddressOf(raw: IncomingMessage, trusted: (address: string, hop: number) => boolean): string | null {
  const header = raw.headers['x-forwarded-for'];
  const forwarded = typeof header === 'string' ? header.split(',').map((entry) => entry.trim()).filter(Boolean) : [];
  const chain = [raw.socket?.remoteAddress ?? '', ...forwarded.reverse()];
  let hop = 0;
  while (hop < chain.length - 1 && trusted(chain[hop] ?? '', hop)) hop += 1;
  return normalizeAddress(chain[hop]);
}

/** What Fastify's trustProxy option needs for the same decision. */
export function fastifyTrustProxy(trust: ProxyTrust): false | ((address: string, hop: number) => boolean) {
  return trust.kind === 'none' ? false : trustedHop(trust);
}
