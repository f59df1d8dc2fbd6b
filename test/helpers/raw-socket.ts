// Bytes on a socket, for what no HTTP client will send (a malformed header, a request
// trickled a byte at a time), and the answer taken apart: Node's parser answers those
// before any of Gatehouse's hooks run, so they are checked at the socket.
import net from 'node:net';

export interface RawSocketAnswer {
  statusLine: string;
  headers: Map<string, string>;
  body: string;
}

/** Sends `bytes` (then, with `trickle`, one byte of it every `trickle.everyMs` instead) and reads until the server closes. */
export function rawSocketExchange(port: number, bytes: string, trickle?: { everyMs: number }): Promise<RawSocketAnswer> {
  return new Promise((resolve, reject) => {
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect(port, '127.0.0.1', () => {
      if (!trickle) return void socket.write(bytes);
      let at = 0;
      timer = setInterval(() => {
        if (at < bytes.length && socket.writable) socket.write(bytes[at++] as string);
      }, trickle.everyMs);
    });
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('close', () => {
      clearInterval(timer);
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ statusLine, headers, body: rest.join('\r\n\r\n') });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
  });
}

/** Requests Node's parser refuses, with the status and error code Gatehouse answers them with. */
export const UNPARSABLE_REQUESTS = [
  ['a malformed header name', 'GET / HTTP/1.1\r\nHost: localhost\r\nBad Header: y\r\n\r\n', 400, 'request.unreadable'],
  ['a control character in the path', 'GET /\x01 HTTP/1.1\r\nHost: localhost\r\n\r\n', 400, 'request.unreadable'],
  ['headers over the size limit', `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'request.headers_too_large'],
] as const;
