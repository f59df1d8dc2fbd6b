// IP allowlists: IPv4 and IPv6 ranges in CIDR notation, or single addresses. Kept in
// one normal form, "network/prefix" with the host bits cleared and IPv6 compressed
// (RFC 5952), so equal ranges read alike; matched with node:net's BlockList.
import { BlockList, isIP } from 'node:net';

export { MAX_ALLOWLIST_ENTRIES } from '../contract/company.ts';

type Parsed = { ok: true; range: string; family: 4 | 6; network: string; prefix: number } | { ok: false; message: string };

/** The WHATWG URL parser writes IPv6 in RFC 5952 form (and dotted quads as hex groups). */
const compressIpv6 = (address: string) => new URL(`http://[${address}]`).hostname.slice(1, -1);

function bytesOf(address: string, family: 4 | 6): number[] {
  if (family === 4) return address.split('.').map(Number);
  const [head = '', tail] = compressIpv6(address).split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function textOf(bytes: number[], family: 4 | 6): string {
  if (family === 4) return bytes.join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return compressIpv6(groups.join(':'));
}

/** One range as typed ("10.0.0.0/8", "2001:db8::/32", "203.0.113.7"), normalized. */
export function parseRange(input: string): Parsed {
  const text = input.trim();
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  // Zone ids (fe80::1%eth0) name an interface of one machine: meaningless here.
  const family = address.includes('%') ? 0 : isIP(address);
  if (family !== 4 && family !== 6) return { ok: false, message: `"${text}" is not an IPv4 or IPv6 address or range.` };
  const max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { ok: false, message: `"${text}": the number after "/" must be 0 to ${max}.` };
  }
  const prefix = Number(prefixText);
  const bytes = bytesOf(address, family);
  // An IPv4-mapped address (::ffff:a.b.c.d, as dual-stack logs print clients) is the IPv4
  // range it spells: its prefix counts the 96 bits of the mapping, and one shorter than
  // that would reach past the IPv4 part into every mapped address.
  if (family === 6 && isMapped(bytes)) {
    if (prefix < 96) return { ok: false, message: `"${text}": an IPv4 address written as IPv6 needs a prefix of 96 or more (or write it as IPv4: ${bytes.slice(12).join('.')}/${Math.max(0, prefix - 96)}).` };
    return parseRange(`${bytes.slice(12).join('.')}/${prefix - 96}`);
  }
  const network = textOf(
    bytes.map((byte, i) => byte & (0xff << (8 - Math.min(8, Math.max(0, prefix - i * 8)))) & 0xff),
    family,
  );
  return { ok: true, range: `${network}/${prefix}`, family, network, prefix };
}

/** The 80 zero bits and 16 one bits of an IPv4-mapped IPv6 address (::ffff:0:0/96). */
function isMapped(bytes: number[]): boolean {
  return bytes.length === 16 && bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Whether an address may log in under an allowlist; an empty list allows every address.
 * An IPv4 client (a mapped one too) is matched against the IPv4 ranges only: node:net's
 * BlockList would match it against an IPv6 range holding ::ffff:0:0/96 (::/0, ::/16).
 */
export function ipAllowed(ranges: readonly string[], ip: string | null): boolean {
  if (ranges.length === 0) return true;
  const family = ip ? isIP(ip) : 0;
  if (!ip || (family !== 4 && family !== 6)) return false;
  let client: { address: string; family: number };
  try {
    const bytes = family === 6 ? bytesOf(ip, 6) : [];
    client = isMapped(bytes) ? { address: bytes.slice(12).join('.'), family: 4 } : { address: ip, family };
  } catch {
    return false; // an address the URL parser refuses (a zone id): nothing matches it
  }
  const list = new BlockList();
  for (const entry of ranges) {
    // A malformed stored entry allows nothing (it never widens the list).
    const parsed = parseRange(entry);
    if (parsed.ok && parsed.family === client.family) list.addSubnet(parsed.network, parsed.prefix, parsed.family === 4 ? 'ipv4' : 'ipv6');
  }
  try {
    return list.check(client.address, client.family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
}
