// Counting the statements the server sends, where they leave for the database (pg's
// Client#query on PostgreSQL, node:sqlite's statements on SQLite), so every one is seen
// whichever layer makes it. The test file's process is patched: run with the server's
// workers quiet (startTestServer's quietWorkers), or their polls are counted too.
import { StatementSync } from 'node:sqlite';
import pg from 'pg';
import type { Engine } from './databases.ts';

/** A write: INSERT, UPDATE or DELETE, alone or inside a WITH (PostgreSQL's one statement for several). */
export const WRITE = /^\s*(insert|update|delete)\b|^\s*with\b[\s\S]*\b(insert\s+into|update\s+"|delete\s+from)/i;

let counting: string[] | undefined;
const seen = (sql: string) => counting?.push(sql);

/** Starts watching the engine's statements; the answer stops it. */
export function watchStatements(engine: Engine): () => void {
  if (engine === 'postgres') {
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function watched(this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined;
      seen(typeof first === 'string' ? first : (first?.text ?? ''));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    return () => {
      pg.Client.prototype.query = original;
    };
  }
  const { run, all } = StatementSync.prototype;
  const watch = <F extends typeof run | typeof all>(original: F) =>
    function watched(this: StatementSync, ...args: unknown[]) {
      seen(this.sourceSQL);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as F;
  StatementSync.prototype.run = watch(run);
  StatementSync.prototype.all = watch(all);
  return () => {
    Object.assign(StatementSync.prototype, { run, all });
  };
}

/** The statements sent while `work` runs (watchStatements must be on). */
export async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  counting = [];
  try {
    await work();
    return counting;
  } finally {
    counting = undefined;
  }
}
