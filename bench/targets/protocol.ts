// How the benchmark's processes talk: a target prints one JSON line, `ready <json>`, once
// it listens and its fixtures exist, then serves until its stdin closes or it is signalled.
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
  oidc?: OidcFixture;
  users?: LoginUser[];
  redirectUri?: string;
}

export function announce(ready: TargetReady) {
  process.stdout.write(`ready ${JSON.stringify(ready)}\n`);
}

/**
 * Ends the target when the harness goes away, whatever way it goes. A `stats` line on
 * stdin is answered with `stats <json>`: the process's memory and what `extra` adds.
 */
export function serveUntilParentLeaves(close: () => Promise<void>, extra: () => Record<string, unknown> = () => ({})) {
  let closing = false;
  let buffered = '';
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === 'stats') {
        globalThis.gc?.();
        const { rss, heapUsed } = process.memoryUsage();
        // Unrounded too, for the soak's growth per minute (bench/soak.ts).
        process.stdout.write(`stats ${JSON.stringify({ rssMiB: Math.round(rss / 1048576), rssBytes: rss, heapUsedBytes: heapUsed, ...extra() })}\n`);
      }
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
