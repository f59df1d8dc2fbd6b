// Closing a node (SIGTERM, a rolling restart): Fastify stops taking requests, lets those in
// flight finish, and closes the connections idle at that moment. A keep-alive connection
// whose request was still running is idle only once its answer is sent, and then stayed
// open until its keep-alive timeout (72 s): the node did not exit, and a service manager
// (Kubernetes' 30 s grace, systemd's 90 s) waited that long on every restart, or killed it
// with the mail worker and the database still open. So while closing, connections are
// closed as they fall idle. Nothing of it runs before close: no cost on the way of a request.
import type { FastifyInstance } from 'fastify';

const LOOK_EVERY_MS = 50;

export function closeConnectionsAsTheyIdle(app: FastifyInstance): void {
  let timer: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    timer = setInterval(() => app.server.closeIdleConnections(), LOOK_EVERY_MS);
    timer.unref();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearInterval(timer);
    done();
  });
}
