// Starts a real Gatehouse on a free loopback port, on a fresh database, with mail going
// over SMTP to a capture server, and a clock the test controls.
import { loadConfig } from '../../src/config.ts';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse.ts';
import { Agent } from './agent.ts';
import { freePort } from './net.ts';
import { runningClock, testClock, type TestClock } from './clock.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './databases.ts';
import { startSmtpCapture, type SmtpCapture } from './smtp.ts';

export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestServer {
  baseUrl: string;
  gatehouse: Gatehouse;
  clock: TestClock;
  mail: SmtpCapture;
  database: TestDatabase;
  agent(): Agent;
  close(): Promise<void>;
}

export interface TestServerOptions {
  engine?: Engine;
  env?: Record<string, string>;
  /**
   * The wall clock instead of the pinned test clock, for tests of the OpenID Connect
   * provider, which keeps the wall clock itself: `advance` and `set` do nothing, so the
   * helpers' moves leave it alone, and codes come from the wall clock (helpers/oidc.ts).
   */
  realClock?: boolean;
  /**
   * The wall clock, running, which `advance` moves on (browser tests, test/e2e/stage.ts):
   * a later TOTP step without waiting for it, and the helpers' moves as they mean them.
   */
  runningClock?: boolean;
  /** Where the server's request log goes (at level info); without it, nothing is logged. */
  logStream?: { write(line: string): void };
  /**
   * Mail goes to the local mailbox (the embedded default, read in the operator's Mailbox)
   * instead of over SMTP to `mail`; read it with test/helpers/mailbox.ts.
   */
  mailbox?: boolean;
  /** Without the mail and logout workers' own timers (tests that count the statements of a request). */
  quietWorkers?: boolean;
  /**
   * The least time a neutral answer takes (a failed password, forgot-password): none by
   * default, since most tests fail passwords by the hundred and do not measure it; the tests
   * of the floor itself give ANSWER_FLOOR_MS, production's (test/http/password-step-floor.test.ts).
   */
  answerFloorMs?: number;
  /**
   * Password hashes at OWASP's cost, as every deployment makes them, instead of the tests'
   * cheap ones (TEST_HASH_COST); the tests of the cost itself ask for it.
   */
  owaspHashCost?: boolean;
}

/**
 * The cost of the test servers' password hashes: argon2id all the same, about a fortieth
 * of OWASP's work (19 MiB, 2 passes). A suite run makes over ten thousand hashes and times
 * none of them; at OWASP's cost they were a fifth of the HTTP tests' CPU (a sample of 22
 * files: 82 CPU-s, and 66 with these).
 */
const TEST_HASH_COST = Object.freeze({ memoryKiB: 1024, passes: 1 });

const wallClock = Object.assign(() => Date.now(), { set() {}, advance() {} }) as TestClock;

function clockFor(options: TestServerOptions): TestClock {
  if (options.runningClock) return runningClock();
  if (options.realClock) return wallClock;
  return testClock();
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase(options.engine ?? 'sqlite', { migrated: true });
  const mail = await startSmtpCapture();
  const clock = clockFor(options);
  // The public URL is fixed before the port is known: links must come from it, never
  // from the Host header, so the tests give it a port we then listen on.
  const port = await freePort();
  const scheme = options.env?.GATEHOUSE_TLS_CERT_FILE ? 'https' : 'http';
  // A server that fails to start (a bad setting under test) must not leave the mail
  // capture listening and the database behind: the test process would never exit.
  const cleanUp = async () => {
    await mail.close();
    await database.drop();
  };
  let gatehouse: Gatehouse;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      GATEHOUSE_PUBLIC_URL: `${scheme}://localhost:${port}`,
      GATEHOUSE_DATA_DIR: database.dataDir,
      GATEHOUSE_DATABASE_URL: database.url,
      GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
      GATEHOUSE_SMTP_URL: mail.url,
      GATEHOUSE_MAIL_FROM: 'Gatehouse <noreply@gatehouse.test>',
      GATEHOUSE_ARGON2_MAX_CONCURRENCY: '2',
      // Every test company is asked for from this one address; the cap has its own test.
      GATEHOUSE_ACCOUNT_REQUESTS_PER_HOUR: '100000',
      ...options.env,
      ...(options.mailbox ? { GATEHOUSE_SMTP_URL: undefined } : {}),
    });
    gatehouse = await createGatehouse(config, {
      clock,
      logger: options.logStream ? { level: 'info', stream: options.logStream } : false,
      mailWorkerIntervalMs: options.quietWorkers ? null : 200,
      answerFloorMs: options.answerFloorMs ?? 0,
      ...(options.owaspHashCost ? {} : { passwordHashCost: TEST_HASH_COST }),
      ...(options.quietWorkers ? { backchannelWorkerIntervalMs: null } : {}),
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  try {
    await gatehouse.listen();
  } catch (error) {
    await gatehouse.close();
    await cleanUp();
    throw error;
  }
  const baseUrl = config.publicUrl.origin;
  return {
    baseUrl,
    gatehouse,
    clock,
    mail,
    database,
    agent: () => new Agent(baseUrl),
    async close() {
      await gatehouse.close();
      await cleanUp();
    },
  };
}
