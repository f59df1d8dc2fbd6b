// `gatehouse serve` and `gatehouse migrate`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { loadConfig } from '../config.ts';
import { describeDatabaseLocation, migrateToLatest, openStorage } from '../storage/index.ts';
import { parseCommand, type Command } from './command.ts';

const serve: Command = {
  name: 'serve',
  summary: 'Start the portal (what npm start runs, without building)',
  help: `Usage: gatehouse serve

Starts the Gatehouse server with its mail worker, configured from the environment
(docs/CONFIG.md), and keeps running until SIGINT or SIGTERM. Migrates the database
first. While no operator has set a password, it prints the first operator's one-time
Sign Up link at a terminal; with JSON logs (GATEHOUSE_LOG_FORMAT), it prints no link and
says to run "gatehouse operator setup-link" instead.

The web app is served from web/dist; build it once with "npm run build:web"
(npm start does that, then runs this). In production run this command from the
server's build, which takes less memory than the TypeScript sources: after
"npm run build:server", node dist/src/cli/index.js serve (docs/OPERATIONS.md).`,
  async run(argv) {
    parseCommand(argv, {});
    const { WEB_DIST } = await import('../gatehouse.ts');
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      console.warn('  The web app is not built (web/dist): pages will answer 404 until you run npm run build:web.');
    }
    // The server's own entry point, so `npm start` and `gatehouse serve` cannot drift apart.
    await import('../main.ts');
    // main.ts owns the process from here: it exits on a signal or a failed start.
    return new Promise<number>(() => {});
  },
};

const migrate: Command = {
  name: 'migrate',
  summary: 'Bring the database schema up to date and exit',
  help: `Usage: gatehouse migrate

Applies the schema migrations the database does not have yet, then exits. The server
does this itself at start-up; run it on its own before starting several nodes of a new
version, or to check a database. Migrations run once even when several nodes start
together (a lock table in the database), and a database newer than this code is refused.`,
  async run(argv) {
    parseCommand(argv, {});
    const config = loadConfig();
    console.log(`Database: ${describeDatabaseLocation(config.database)}`);
    const storage = await openStorage(config.database, { migrate: false });
    try {
      const applied = await migrateToLatest(storage.db as unknown as Kysely<unknown>);
      console.log(
        applied.length === 0
          ? 'The schema is up to date; nothing to apply.'
          : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}`,
      );
    } finally {
      await storage.close();
    }
    return 0;
  },
};

export const serverCommands = [serve, migrate];
