// One rule for every listener a node opens (the public port, and the metrics port, which is
// just as reachable from the network it is bound to).

/**
 * A request's headers and body must arrive within `requestTimeoutMs` (answered 408 and the
 * connection closed): a client trickling its headers or body a byte at a time (slowloris)
 * cannot hold a connection, and the node's sockets, for as long as it likes. Node's and
 * Fastify's own defaults allow minutes. Node checks the connections now and then; checking
 * at a quarter of the limit (at most every 5 s) keeps a held connection within 1.25 times
 * the limit.
 */
export function slowClientLimits(requestTimeoutMs: number) {
  return {
    // Node would answer an HTTP/1.1 request without a Host header itself, bare (no security
    // headers, no error body): the request goes on to be refused like every other answer
    // (error-handler.ts).
    requireHostHeader: false,
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(requestTimeoutMs / 4))),
  };
}
