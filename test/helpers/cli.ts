// Runs the real `gatehouse` command in its own process, as an operator would, with only
// the settings a test gives it: a developer's own GATEHOUSE_* variables must not leak in.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET_KEY, type TestServer } from './server.ts';

const CLI = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without anything of Gatehouse's (GATEHOUSE_*, PORT, HOST). */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|PORT$|HOST$)/.test(key)));
}

/** `gatehouse <args>` with exactly `env`; its exit code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** `gatehouse <args>` against a test server's database and secret key. */
export function cliOf(server: TestServer): (args: string[]) => Promise<CliRun> {
  return (args) =>
    runCli(args, {
      ...cleanEnv(),
      GATEHOUSE_DATA_DIR: server.database.dataDir,
      GATEHOUSE_DATABASE_URL: server.database.url,
      GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
      GATEHOUSE_LOG_LEVEL: 'warn',
    });
}
