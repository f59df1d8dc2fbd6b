// The metrics port's listener (GATEHOUSE_METRICS_PORT): GET /metrics and nothing else, for a
// Prometheus server. It is a plain Node server, not Fastify, so that a scrape costs no
// route, hook or contract; but it is a listener on the network all the same, so it keeps
// the public port's rules for what a client may do to it: the same slow-client limits, the
// same answers to what Node's parser refuses, the same security headers and error shape.
// One for a single process (src/gatehouse.ts) and the cluster's primary (src/cluster.ts),
// which differ only in where the numbers come from.
import { createServer, type Server } from 'node:http';
import { parserErrorHandler, refuseLikeNode, writeRefusal } from './error-handler.ts';
import { headerRefusal } from './header-refusal.ts';
import { securityHeaderSet } from './security-headers.ts';
import { slowClientLimits } from './slow-clients.ts';

export interface Exposition {
  type: string;
  body: string;
}

// HSTS is for browsers on the public https origin; the scrape port is plain HTTP.
const headers = securityHeaderSet({ hsts: false });

export function scrapeListener(collect: () => Promise<Exposition>, options: { requestTimeoutMs: number }): Server {
  const server = createServer(slowClientLimits(options.requestTimeoutMs), (request, response) => {
    headers.onto(response);
    const refusal = headerRefusal(request);
    if (refusal) return writeRefusal(response, refusal);
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') return writeRefusal(response, 'request.not_found');
    collect().then(
      ({ type, body }) => response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body),
      () => writeRefusal(response, 'metrics.unavailable'),
    );
  });
  server.on('clientError', parserErrorHandler(headers));
  server.on('checkExpectation', refuseLikeNode(headers));
  return server;
}
