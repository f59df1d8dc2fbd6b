// A loopback TCP proxy in front of PostgreSQL that a test can break the ways a network
// and a server break: cut every open connection (mid-query or idle), stop listening
// (connections refused, as while a server is down), or answer new connections the way
// PostgreSQL refuses a login (one FATAL ErrorResponse with a SQLSTATE, then close).
import net from 'node:net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** A PostgreSQL ErrorResponse message: what the server sends before closing a refused login. */
export function errorResponse(sqlstate: string, message: string, severity = 'FATAL'): Buffer {
  const fields = [`S${severity}`, `V${severity}`, `C${sqlstate}`, `M${message}`].map((f) => Buffer.from(`${f}\0`, 'utf8'));
  const body = Buffer.concat([...fields, Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write('E', 0, 'ascii');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** Reads the client's startup packet (declining SSL/GSS first), then refuses the login. */
function refuse(client: net.Socket, refusal: Buffer) {
  let pending = Buffer.alloc(0);
  client.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const length = pending.readInt32BE(0);
      if (pending.length < length) return;
      const code = pending.readInt32BE(4);
      pending = pending.subarray(length);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        client.write('N');
        continue;
      }
      client.end(refusal);
      return;
    }
  });
}

export interface TcpProxy {
  readonly port: number;
  /** Listen again on the same port and forward, after stop(). */
  start(): Promise<void>;
  /** Close every connection and stop listening: new connections are refused. */
  stop(): Promise<void>;
  /** Destroy every open connection at once; new connections still come through. */
  cut(): void;
  /** From now on, answer new connections with this refusal instead of forwarding (null: forward again). */
  refuseWith(refusal: { sqlstate: string; message: string } | null): void;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let refusal: Buffer | null = null;

  const track = (socket: net.Socket, partner?: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      partner?.destroy();
    });
  };

  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        if (refusal) {
          track(client);
          refuse(client, refusal);
          return;
        }
        const upstream = net.connect(target.port, target.host);
        track(client, upstream);
        track(upstream, client);
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });

  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };

  await start();
  return {
    get port() {
      return port;
    },
    start,
    stop: () =>
      new Promise<void>((resolve) => {
        cut();
        if (!server?.listening) return resolve();
        server.close(() => resolve());
      }),
    cut,
    refuseWith(next) {
      refusal = next ? errorResponse(next.sqlstate, next.message) : null;
    },
  };
}

/** The database URL with its host and port pointed at the proxy. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return proxied.toString();
}
