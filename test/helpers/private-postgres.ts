// A PostgreSQL cluster of the test's own (initdb into test-output/tmp/dbfault), for faults
// the shared test server must never see: stopped under a running Gatehouse, or frozen
// (SIGSTOP: connections stay open and the kernel accepts new ones, but nothing answers).
// Run as the postgres system user when the tests run as root (initdb refuses root).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './net.ts';

const ROOT = path.resolve('test-output/tmp/dbfault');
const INSTALLED = '/usr/lib/postgresql';

/** Why a private cluster cannot be made here, if it cannot (no server binaries installed). */
export const noPrivatePostgres: string | false = existsSync(INSTALLED) && readdirSync(INSTALLED).length > 0 ? false : `no PostgreSQL server binaries in ${INSTALLED}`;

function bin(): string {
  return path.join(INSTALLED, readdirSync(INSTALLED).sort().at(-1) as string, 'bin');
}

/** A PostgreSQL tool, as the postgres user when the tests run as root. */
function pgTool(tool: string, args: string[]): string {
  const root = process.getuid?.() === 0;
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', path.join(bin(), tool), ...args]] : [path.join(bin(), tool), args];
  return execFileSync(file, argv, { timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

export interface PrivatePostgres {
  /** postgres://gatehouse@127.0.0.1:<port>/gatehouse (trust authentication). */
  url: string;
  start(): void;
  stop(mode: 'fast' | 'immediate'): void;
  /** Stops every process of the cluster with SIGSTOP; thaw() resumes them. */
  freeze(): void;
  thaw(): void;
  /** Thaws, stops and deletes the cluster, whatever state it is in. */
  remove(): void;
}

export async function startPrivatePostgres(prefix: string): Promise<PrivatePostgres> {
  mkdirSync(ROOT, { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, `${prefix}-`));
  // The cluster's files belong to whoever runs PostgreSQL (the postgres user under root).
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const data = path.join(dir, 'data');
  const port = await freePort();
  let running = false;
  let frozen: number[] = [];

  /** The postmaster and its children. */
  function clusterPids(): number[] {
    const postmaster = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          return Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }

  const cluster: PrivatePostgres = {
    url: `postgres://gatehouse@127.0.0.1:${port}/gatehouse`,
    start() {
      pgTool('pg_ctl', ['-D', data, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '20', '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir}`, 'start']);
      running = true;
    },
    stop(mode) {
      pgTool('pg_ctl', ['-D', data, '-w', '-t', '20', '-m', mode, 'stop']);
      running = false;
    },
    freeze() {
      frozen = clusterPids();
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    },
    thaw() {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // Gone already (stopped meanwhile): nothing to resume.
        }
      }
      frozen = [];
    },
    remove() {
      cluster.thaw();
      if (running) {
        try {
          cluster.stop('immediate');
        } catch {
          // Stopped already: the files go all the same.
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    pgTool('initdb', ['-D', data, '-A', 'trust', '-U', 'gatehouse', '--no-sync', '-E', 'UTF8']);
    cluster.start();
    pgTool('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'gatehouse', 'gatehouse']);
  } catch (error) {
    cluster.remove();
    throw error;
  }
  return cluster;
}
