// `npm start`: start the portal and say where to go next.
import './threadpool.ts';
import { restoreListFormat } from './list-format-on-first-use.ts';
import { exitAfterStartFailure, isClusterWorker, isFirstWorker, reportMetricsToPrimary, reportReady, runPrimary } from './cluster.ts';
import { loadConfig, ConfigError } from './config.ts';
import { ensurePlatformCompany, firstOperatorSetup, operatorSignedUp } from './companies/index.ts';
import { createGatehouse } from './gatehouse.ts';
import { startDevDemoModule } from './dev/demo-module.ts';
import { recordPublicUrl } from './settings/index.ts';
import { isLoopbackHost } from './shared/loopback.ts';

// Every import is evaluated, oidc-provider's formatters made: the built-in back for the rest.
restoreListFormat();

let demo: Awaited<ReturnType<typeof startDevDemoModule>> | undefined;

async function main() {
  const config = loadConfig();
  if (config.workers > 1 && !isClusterWorker()) {
    console.log(`  Starting ${config.workers} workers on port ${config.port}`);
    return runPrimary(config, (line) => console.log(`  ${line}`));
  }
  const gatehouse = await createGatehouse(config, { metricsListener: !isClusterWorker() });
  if (isClusterWorker()) await reportMetricsToPrimary(gatehouse.metrics);
  await gatehouse.listen();
  if (isClusterWorker()) reportReady();
  const stop = async (signal: string) => {
    if (isFirstWorker()) console.log(`\n  ${signal}: shutting down`);
    await demo?.close();
    await gatehouse.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // In a cluster the first worker speaks for the node; the others only serve.
  if (!isFirstWorker()) return;
  // The CLI builds its links from this, whatever shell it is started from.
  await recordPublicUrl(gatehouse.storage.db, config.publicUrl.origin);
  // JSON logs go to a journal or a log service, where a live link must not (docs/OPERATIONS.md):
  // there the banner only says how to get one, and no link is issued, so a restart does not
  // revoke the one the operator printed with the CLI.
  const linkInBanner = config.logFormat === 'pretty';
  const setup = linkInBanner ? await firstOperatorSetup(gatehouse.deps) : undefined;
  const awaitingOperator = linkInBanner ? setup !== undefined : !(await operatorSignedUp(gatehouse.deps.db, (await ensurePlatformCompany(gatehouse.deps)).id));
  demo = await startDevDemoModule(gatehouse.deps);
  const base = config.publicUrl.origin;
  const lines = [
    '',
    `  Gatehouse is running at ${base}`,
    `  Database: ${config.database.kind === 'sqlite' ? config.database.file : 'PostgreSQL'}`,
    `  Mail: ${config.smtpUrl ? 'SMTP' : 'local mailbox (operator console > Mailbox, or: npx gatehouse mail list)'}`,
    `  Operator console: ${base}/operator`,
    ...(demo?.banner ?? []),
  ];
  const host = config.publicUrl.hostname;
  if (config.publicUrl.protocol === 'http:' && !isLoopbackHost(host)) {
    lines.push(
      '',
      `  WARNING: GATEHOUSE_PUBLIC_URL is plain http on ${host}. Passwords, codes and session cookies`,
      '  would cross the network unencrypted. Use https (see docs/OPERATIONS.md).',
    );
  }
  if (awaitingOperator && !setup) {
    lines.push(
      '',
      '  No operator has signed up yet. The first operator\'s one-time Sign Up link is kept out of',
      '  these logs; print it with the server\'s environment by running:',
      '    npx gatehouse operator setup-link',
    );
  }
  if (setup) {
    lines.push(
      '',
      '  No operator has signed up yet. Set the first operator\'s password with this one-time link',
      '  (a new link is printed at every start until then):',
      `    ${setup.url}`,
      `  Then log in with Username "${setup.username}" and Company Name "${setup.companyName}".`,
      '  More operators: npx gatehouse operator create --username NAME --email ADDRESS',
    );
  }
  console.log(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Gatehouse could not start:', message);
  }
  // A worker's primary counts failed starts and names the cause when it gives up.
  if (isClusterWorker()) exitAfterStartFailure(message);
  else process.exit(1);
});
