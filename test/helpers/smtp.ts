// A real SMTP server on loopback that keeps what it receives, parsed, for assertions.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpCapture {
  url: string;
  messages: CapturedMail[];
  /** With `holdAnswers`: the answer to each message's DATA, in arrival order, to give when the test chooses (an error refuses it). */
  held: Array<(error?: Error) => void>;
  waitFor(predicate: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  /** Gives every answer held, and answers every message from now on at once: a sender still sending can finish. */
  answerAll(): void;
  /** Connections made to this server so far, and those open now. */
  connections(): { made: number; open: number };
  /** Closes every open connection without a word, as a server's idle timeout or a dropped link does; a held answer is never given. */
  dropConnections(): void;
  /** Stops listening and closes what is still connected (a sender's kept connection) at once. */
  close(): Promise<void>;
}

/** An open connection as smtp-server keeps it (its `connections`, not in its types). */
interface ServerConnection {
  close(): void;
}

/**
 * What every SMTP server of the tests is: plain SMTP on loopback, no login, quiet. Closing
 * does not wait for senders to leave: Gatehouse keeps its connection between messages
 * (src/mail/transports.ts), and a test that stops its mail server means it gone.
 */
export const LOOPBACK_SMTP: SMTPServerOptions = { authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false, closeTimeout: 1 };

/**
 * `holdAnswers`: a server slow to accept, each message answered only when the test says (`held`).
 * `deferred`: addresses the server defers for now (451 to their RCPT TO, "try again later"),
 * for as long as the test leaves them in the set.
 */
export async function startSmtpCapture(options: { holdAnswers?: boolean; deferred?: ReadonlySet<string> } = {}): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  const held: SmtpCapture['held'] = [];
  const waiters = new Set<() => void>();
  let holding = options.holdAnswers === true;
  let made = 0;
  let open = 0;
  const server = new SMTPServer({
    ...LOOPBACK_SMTP,
    onConnect(_session, callback) {
      made += 1;
      open += 1;
      callback();
    },
    onClose() {
      open -= 1;
    },
    onRcptTo(address, _session, callback) {
      if (options.deferred?.has(address.address)) callback(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
      else callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await simpleParser(raw);
        messages.push({
          from: parsed.from?.text ?? '',
          to: Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : (parsed.to?.text ?? ''),
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          html: typeof parsed.html === 'string' ? parsed.html : '',
          raw,
          parsed,
        });
        for (const wake of waiters) wake();
        if (holding) held.push((error) => callback(error ?? null));
        else callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    held,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching mail within ${timeoutMs} ms (got ${messages.length})`));
        }, timeoutMs);
        timer.unref();
        if (!check()) waiters.add(check);
      });
    },
    answerAll() {
      holding = false;
      for (const answer of held) answer();
    },
    connections: () => ({ made, open }),
    dropConnections() {
      for (const connection of (server as unknown as { connections: Set<ServerConnection> }).connections) connection.close();
      held.length = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
