// Serves the built web app. Hashed assets are cached for a year; index.html never is,
// and every path the API does not own gets index.html (the app routes on the client).
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../errors.ts';
import { sendError } from './error-handler.ts';

export async function serveWebApp(app: FastifyInstance, webDist: string) {
  const hasBuild = existsSync(path.join(webDist, 'index.html'));
  if (hasBuild) {
    await app.register(fastifyStatic, {
      root: webDist,
      wildcard: false,
      index: false,
      setHeaders: (res, filePath) => {
        res.header(
          'cache-control',
          filePath.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET' || !hasBuild) {
      return sendError(reply, new GatehouseError('request.not_found'));
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
