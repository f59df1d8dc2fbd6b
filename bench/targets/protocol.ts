// How the benchmark's processes talk: a target prints one JSON line, `ready <json>`, once
// it listens and its fixtures exist, then serves until its stdin closes or it is signalled.
// In between it answers commands, one a line on stdin (`<name> <json args>`), each with a
// line `<name> <json>` on stdout, in order.
export interface LoginUser {
  username: string;
  companyName: string;
  password: string;
  totpSecret: string;
}

export interface OidcFixture {
  /** Base URL of the provider's issuer (e.g. http://127.0.0.1:4000/oidc). */
  issuer: string;
  tokenEndpoint: string;
  introspectionEndpoint: string;
  userinfoEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** User access tokens (introspection, userinfo) and refresh tokens (refresh). */
  accessTokens: string[];
  refreshTokens: string[];
}

export interface TargetReady {
  baseUrl: string;
  pid: number;
  /** Every process serving (a primary's workers too), for the harness to pin once all are ready. */
  pids?: number[];
  oidc?: OidcFixture;
  users?: LoginUser[];
  redirectUri?: string;
}

export function announce(ready: TargetReady) {
  process.stdout.write(`ready ${JSON.stringify(ready)}\n`);
}

export type Commands = Record<string, (args: unknown) => unknown>;

/**
 * Ends the target when the harness goes away, whatever way it goes. A `stats` line on
 * stdin is answered with `stats <json>`: the process's memory (after a GC when the process
 * runs with --expose-gc) and what `extra` adds; `commands` adds others.
 */
export function serveUntilParentLeaves(close: () => Promise<void>, extra: () => Record<string, unknown> = () => ({}), commands: Commands = {}) {
  let closing = false;
  let buffered = '';
  const all: Commands = {
    stats: () => {
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      // Unrounded too, for the soak's growth per minute (bench/soak.ts).
      return { rssMiB: Math.round(rss / 1048576), rssBytes: rss, heapUsedBytes: heapUsed, ...extra() };
    },
    ...commands,
  };
  // One command at a time, answered in the order asked.
  let queue = Promise.resolve();
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      const space = line.indexOf(' ');
      const name = space < 0 ? line : line.slice(0, space);
      const run = all[name];
      if (!run) continue;
      const args: unknown = space < 0 ? undefined : JSON.parse(line.slice(space + 1));
      queue = queue.then(async () => {
        const answer = await run(args);
        process.stdout.write(`${name} ${JSON.stringify(answer ?? null)}\n`);
      });
    }
  });
  const stop = () => {
    if (closing) return;
    closing = true;
    void close().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop).on('close', stop).resume();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
