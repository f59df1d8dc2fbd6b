// A Gatehouse process that is expected to refuse to start: run it to its exit and keep
// what it printed, so a test can check the exit status and the message an operator sees.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET_KEY } from './server.ts';
import { until } from './until.ts';

export const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
export const CLI = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr together. */
  output: string;
}

/** `node <args>` with the test settings (no developer GATEHOUSE_* leaking in) and `env`, until it exits. */
export async function runUntilExit(args: string[], env: Record<string, string>): Promise<Ended> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|PORT$|HOST$|NODE_OPTIONS$)/.test(key)));
  const child = spawn(process.execPath, args, {
    env: {
      ...inherited,
      HOST: '127.0.0.1',
      GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
      GATEHOUSE_DEMO_MODULE: 'off',
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_ARGON2_MAX_CONCURRENCY: '2',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ended: Omit<Ended, 'output'> | undefined;
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': it comes once the output has ended too (the workers' included).
  child.once('close', (code, signal) => (ended = { code, signal }));
  try {
    // A bound for a loaded machine: a refusal comes within seconds (workers: a few rounds).
    await until(() => ended !== undefined, `${args.join(' ')} to exit`, 180_000);
  } catch (error) {
    // Never left running, with its workers, to hold the test run open.
    child.kill('SIGKILL');
    throw new Error(`still running:\n${output}`, { cause: error });
  }
  return { ...(ended as Omit<Ended, 'output'>), output };
}
