// The gatehouse command: finds the command named by the first words of the arguments,
// runs it, and turns what went wrong into a message and an exit status
// (0 done, 1 failed, 2 bad usage).
import '../threadpool.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';
import { GatehouseError } from '../errors.ts';
import { PACKAGE_ROOT } from '../shared/package-root.ts';
import { isDatabaseUnavailable } from '../storage/index.ts';
import { apiClientCommands } from './api-clients.ts';
import { backupCommands } from './backup.ts';
import { CliError, HelpRequested, UsageError, type Command } from './command.ts';
import { keyCommands } from './keys.ts';
import { logoutCommands } from './logouts.ts';
import { mailCommands } from './mail.ts';
import { operatorCommands } from './operator.ts';
import { requestCommands } from './requests.ts';
import { serverCommands } from './server.ts';

const commands: Command[] = [
  ...serverCommands,
  ...operatorCommands,
  ...requestCommands,
  ...apiClientCommands,
  ...mailCommands,
  ...logoutCommands,
  ...keyCommands,
  ...backupCommands,
];

function listing(of: Command[]): string {
  const width = Math.max(...of.map((command) => command.name.length));
  return of.map((command) => `  ${command.name.padEnd(width)}   ${command.summary}`).join('\n');
}

function overview(): string {
  return `gatehouse: run and operate a Gatehouse identity portal

Usage: gatehouse <command> [options]

Commands:
${listing(commands)}

Run "gatehouse <command> --help" for a command's arguments and options.

Configuration comes from the same environment variables as the server (docs/CONFIG.md);
give the CLI the environment the server has. GATEHOUSE_DATA_DIR defaults to ./data,
relative to the current folder.

Exit status: 0 done, 1 failed, 2 bad usage.`;
}

function version(): string {
  const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return `gatehouse ${manifest.version} (Node.js ${process.versions.node})`;
}

/** The help's usage, every line of it: a usage wraps onto lines of its own before the first blank one. */
function usage(command: Command): string {
  const [block] = command.help.split(/\n[ \t]*\n/, 1);
  return block?.trim() ? block : `Usage: gatehouse ${command.name}`;
}

/** The command whose name matches the leading words, and the arguments after them. */
function find(words: string[]): { command: Command; rest: string[] } | undefined {
  for (const command of commands) {
    const parts = command.name.split(' ');
    if (parts.every((part, index) => words[index] === part)) return { command, rest: words.slice(parts.length) };
  }
  return undefined;
}

function group(word: string | undefined): Command[] {
  return commands.filter((command) => command.name.startsWith(`${word} `));
}

function unknown(words: string[]): number {
  const members = group(words[0]);
  if (members.length > 0) {
    const sub = words[1];
    if (sub === undefined) {
      console.error(`gatehouse ${words[0]}: which one?\n\n${listing(members)}`);
    } else {
      console.error(`gatehouse: unknown command "${words[0]} ${sub}". The ${words[0]} commands:\n\n${listing(members)}`);
    }
    return 2;
  }
  console.error(`gatehouse: unknown command "${words[0]}".\n\nCommands:\n${listing(commands)}\n\nRun "gatehouse --help" for more.`);
  return 2;
}

function showHelp(words: string[]): number {
  if (words.length === 0) {
    console.log(overview());
    return 0;
  }
  const found = find(words);
  if (found && found.rest.length === 0) {
    console.log(found.command.help);
    return 0;
  }
  const members = group(words[0]);
  if (members.length > 0 && words.length === 1) {
    console.log(`The ${words[0]} commands:\n\n${listing(members)}\n\nRun "gatehouse ${words[0]} <command> --help" for one of them.`);
    return 0;
  }
  return unknown(words);
}

function report(error: unknown, command: Command): number {
  const prefix = `gatehouse ${command.name}`;
  if (error instanceof HelpRequested) {
    console.log(command.help);
    return 0;
  }
  if (error instanceof UsageError) {
    console.error(`${prefix}: ${error.message}\n\n${usage(command)}\nRun "${prefix} --help" for more.`);
    return 2;
  }
  if (error instanceof ConfigError) {
    console.error(error.message);
    return 1;
  }
  if (error instanceof CliError || error instanceof GatehouseError) {
    console.error(`${prefix}: ${error.message}`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isDatabaseUnavailable(error)) {
    console.error(`${prefix}: the database cannot be reached: ${message}`);
    return 1;
  }
  console.error(`${prefix} failed: ${message}`);
  if (process.env.GATEHOUSE_LOG_LEVEL === 'debug' && error instanceof Error) console.error(error.stack);
  return 1;
}

export async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    console.error(overview());
    return 2;
  }
  if (first === '--help' || first === '-h') return showHelp([]);
  if (first === 'help') return showHelp(rest);
  if (first === '--version' || first === '-v') {
    console.log(version());
    return 0;
  }
  const found = find(argv);
  if (!found) {
    if (group(first).length > 0 && (rest[0] === '--help' || rest[0] === '-h')) return showHelp([first]);
    return unknown(argv);
  }
  try {
    return await found.command.run(found.rest);
  } catch (error) {
    return report(error, found.command);
  }
}

process.exitCode = await runCli(process.argv.slice(2));
