// Gatehouse's requests to URLs someone typed go where that person said: a company's OpenID
// Connect provider (the issuer URL a company Master typed, and whatever its discovery
// document names) and a module's back-channel logout URI (an operator's, or a platform API
// client's). Left unchecked, such a seat would make Gatehouse a client for the machine's
// own services (a database's port, the metrics listener, a sidecar's admin port) and its
// private network (a cloud's metadata address). So every connection these requests open
// is checked where it is opened, after DNS has answered: it may go to a public unicast
// address, or to a network the operator allows (GATEHOUSE_SSO_PRIVATE_NETWORKS,
// GATEHOUSE_MODULE_PRIVATE_NETWORKS).
// Checking the URL alone would not do: a name can resolve to 127.0.0.1 (or to another
// address at each lookup), and a redirect can lead anywhere.
import { lookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { TransformStream } from 'node:stream/web';
import ipaddr from 'ipaddr.js';
import type * as OpenIdClient from 'openid-client';
import type * as Undici from 'undici';
import { inAddressRanges, normalizeAddress } from '../http/client-ip.ts';
import { onFirstUse } from '../shared/on-first-use.ts';

const undici = onFirstUse(() => import('undici'));

/** A connection refused by the policy; its message names the address, for the operator's log. */
export class UnreachableDestination extends Error {
  override name = 'UnreachableDestination';
  readonly address: string;
  constructor(address: string) {
    super(`${address} is not a public address, and the private networks allowed (GATEHOUSE_SSO_PRIVATE_NETWORKS, GATEHOUSE_MODULE_PRIVATE_NETWORKS) do not include it`);
    this.address = address;
  }
}

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** Whether a connection may go to `address`: public unicast, or inside one of `allowed` ("network/prefix"). */
export function reachable(address: string, allowed: readonly string[]): boolean {
  const normal = normalizeAddress(address);
  if (normal === null) return false;
  // ipaddr.js names every special-use block (private, loopback, link-local, carrier-grade
  // NAT, documentation, multicast, 6to4, Teredo...); only "unicast" is the public Internet.
  // It calls the deprecated IPv4-compatible block (::a.b.c.d, ::/96) unicast: an IPv4
  // address in IPv6 dress, never a public IPv6 host, so it is refused with the rest.
  const parsed = ipaddr.parse(normal);
  const ipv4Compatible = parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE);
  return (parsed.range() === 'unicast' && !ipv4Compatible) || inAddressRanges(normal, allowed);
}

/** DNS as net.connect asks it, answering only when every address of the name is reachable. */
function checkedLookup(allowed: readonly string[]) {
  return (hostname: string, options: LookupAllOptions | object, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      // All or nothing: the connection may try any of them.
      const refused = addresses.find((entry) => !reachable(entry.address, allowed));
      if (refused) return callback(new UnreachableDestination(refused.address), []);
      if ((options as LookupAllOptions).all) return callback(null, addresses);
      const [first] = addresses;
      return first ? callback(null, first.address, first.family) : callback(new Error(`no address for ${hostname}`), []);
    });
  };
}

/** The dispatcher of the requests of one policy: every connection through the checked lookup, literal addresses checked as they are. */
function checkedAgent(module: typeof Undici, allowed: readonly string[]): Undici.Agent {
  const connect = module.buildConnector({ lookup: checkedLookup(allowed) } as Undici.buildConnector.BuildOptions);
  return new module.Agent({
    connect: (options, callback) => {
      // net.connect does not look a literal address up, so it is checked here.
      const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(host) !== 0 && !reachable(host, allowed)) return callback(new UnreachableDestination(host), null);
      return connect(options, callback);
    },
  });
}

/**
 * The most of one answer Gatehouse reads, decoded: a discovery document, a key set, a token
 * or userinfo answer is a few KiB. Whoever runs the server at the other end (any company's
 * Master chooses one) could otherwise send gigabytes, or a small gzip that inflates to them,
 * and the node would hold them all in memory to parse (a 300 MB discovery document: 1.2 GiB
 * more RSS for one request, several at once ending the process).
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** An answer longer than MAX_RESPONSE_BYTES, as declared or as read; its message is for the operator's log. */
export class ResponseTooLarge extends Error {
  override name = 'ResponseTooLarge';
  constructor() {
    super(`the answer is larger than the ${MAX_RESPONSE_BYTES} bytes Gatehouse reads`);
  }
}

/** `response` with a body that fails with ResponseTooLarge past the limit: refused at once if its Content-Length says so, else when read that far. */
function withBoundedBody(module: typeof Undici, response: Undici.Response): Undici.Response {
  if (Number(response.headers.get('content-length')) > MAX_RESPONSE_BYTES) {
    void response.body?.cancel().catch(() => {});
    throw new ResponseTooLarge();
  }
  // No body (204, 304, a HEAD): nothing to bound, and a Response of such a status may have none.
  if (!response.body) return response;
  let read = 0;
  const bounded = response.body.pipeThrough(
    new TransformStream<Uint8Array | undefined, Uint8Array>({
      transform(chunk, controller) {
        if (!chunk) return;
        read += chunk.byteLength;
        // Erroring the stream cancels the body's source, which closes the connection.
        if (read > MAX_RESPONSE_BYTES) controller.error(new ResponseTooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new module.Response(bounded, { status: response.status, statusText: response.statusText, headers: response.headers });
}

const agents = new Map<string, Undici.Agent>();

/**
 * A fetch (openid-client's customFetch, oidc-provider's fetch) whose connections keep to the
 * policy. Redirects are not followed; an answer is read up to MAX_RESPONSE_BYTES.
 */
export function fetchWithin(allowed: readonly string[]): OpenIdClient.CustomFetch {
  return async (url, options) => {
    const module = await undici();
    const key = allowed.join(',');
    let agent = agents.get(key);
    if (!agent) agents.set(key, (agent = checkedAgent(module, allowed)));
    const response = await module.fetch(url, { ...(options as Undici.RequestInit), redirect: 'manual', dispatcher: agent });
    // undici's Response is the global one's twin; openid-client accepts either.
    return withBoundedBody(module, response) as unknown as Response;
  };
}

/** The refusal behind a failed request, if the policy was its cause. */
export function unreachableCause(error: unknown): UnreachableDestination | undefined {
  return causeOfKind(error, UnreachableDestination);
}

/** The over-long answer behind a failed request, if that was its cause. */
export function tooLargeCause(error: unknown): ResponseTooLarge | undefined {
  return causeOfKind(error, ResponseTooLarge);
}

function causeOfKind<T extends Error>(error: unknown, kind: new (...args: never[]) => T, depth = 0): T | undefined {
  if (!(error instanceof Error) || depth > 6) return undefined;
  if (error instanceof kind) return error;
  // A name with several addresses (localhost: ::1 and 127.0.0.1) fails as one error per address.
  const tried = error instanceof AggregateError ? (error.errors as unknown[]) : [];
  for (const each of [error.cause, ...tried]) {
    const found = causeOfKind(each, kind, depth + 1);
    if (found) return found;
  }
  return undefined;
}
