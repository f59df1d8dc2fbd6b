// An SMTP server that refuses what a test tells it to: a real server (smtp-server) on
// loopback, for the mail server's answers a capture never gives (a 5xx to an address, a
// 4xx to a message).
import { SMTPServer } from 'smtp-server';
import { LOOPBACK_SMTP } from './smtp.ts';

export type Step = 'mail' | 'rcpt' | 'data';
/** What the server answers at each step: nothing (accept), or an SMTP reply code and text. */
export type Script = Partial<Record<Step, { code: number; text: string }>>;

/** A real SMTP server on loopback that answers MAIL FROM, RCPT TO and DATA as the test scripts it (`answer`). */
export async function scriptedSmtp() {
  let script: Script = {};
  /** The commands each recipient's message got to, in order. */
  const seen: Array<{ step: Step; to?: string }> = [];
  const refuse = (step: Step, callback: (error?: Error | null) => void) => {
    const answer = script[step];
    callback(answer ? Object.assign(new Error(answer.text), { responseCode: answer.code }) : null);
  };
  const server = new SMTPServer({
    ...LOOPBACK_SMTP,
    onMailFrom(_address, _session, callback) {
      seen.push({ step: 'mail' });
      refuse('mail', callback);
    },
    onRcptTo(address, _session, callback) {
      seen.push({ step: 'rcpt', to: address.address });
      refuse('rcpt', callback);
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        seen.push({ step: 'data' });
        refuse('data', callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  return {
    url: `smtp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    seen,
    answer(next: Script) {
      script = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
