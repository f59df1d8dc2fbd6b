// `gatehouse operator create` and `gatehouse operator setup-link`. Operators are users of
// the platform company; they set a password through a one-time Sign Up link and then log
// in, with 2FA, like everyone else.
import { z } from 'zod';
import { createOperator, firstOperatorSetup } from '../companies/index.ts';
import { GatehouseError } from '../errors.ts';
import { CliError, parseCommand, required, singleLine, username, validate, withCore, type Command } from './command.ts';
import { duration } from './format.ts';
import { CLI_AUDIT_ACTOR } from './requests.ts';

const email = z.string().trim().max(254, 'at most 254 characters.').pipe(z.email({ error: 'not a valid email address.' }));

function howToLogIn(link: { url: string; username: string; companyName: string }, ttlMs: number, origin: string) {
  return [
    `  ${link.url}`,
    '',
    `The link works once and expires in ${duration(ttlMs)}. After setting a password, log in at`,
    `${origin}/login with Username "${link.username}" and Company Name "${link.companyName}",`,
    'then set up two-factor authentication with an authenticator app.',
  ].join('\n');
}

const create: Command = {
  name: 'operator create',
  summary: 'Add an operator and print their one-time Sign Up link',
  help: `Usage: gatehouse operator create --username NAME --email ADDRESS [--name "Display Name"]

Adds an operator (a user of the platform company, who can use the operator console)
and prints a one-time Sign Up link for them to set their password. No mail is sent:
hand the link over yourself.

Options:
  --username NAME     what they type at login (2-64 letters, digits, . _ - @)
  --email ADDRESS     their email address
  --name TEXT         display name (default: the username)

Example:
  gatehouse operator create --username jane --email jane@example.com --name "Jane Doe"`,
  async run(argv) {
    const { values } = parseCommand(argv, {
      username: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
    });
    const input = {
      username: validate(username, required(values.username, 'username'), '--username'),
      email: validate(email, required(values.email, 'email'), '--email'),
      displayName: values.name === undefined ? undefined : validate(singleLine('--name', 100), values.name, '--name'),
    };
    return withCore(async ({ deps, config }) => {
      const link = await createOperator(deps, input, CLI_AUDIT_ACTOR).catch((error: unknown) => {
        if (error instanceof GatehouseError && error.code === 'user.username_taken') {
          throw new CliError(`There is already an operator with the username "${input.username}".`);
        }
        if (error instanceof GatehouseError && error.code === 'operator.first_not_set_up') throw new CliError(error.message);
        throw error;
      });
      console.log(`Operator "${link.username}" added to ${link.companyName}. Their one-time Sign Up link:\n`);
      console.log(howToLogIn(link, config.linkTtlMs, config.publicUrl.origin));
      return 0;
    });
  },
};

const setupLink: Command = {
  name: 'operator setup-link',
  summary: "Print a fresh Sign Up link for the first operator's password",
  help: `Usage: gatehouse operator setup-link

Until an operator has set a password, prints a fresh one-time Sign Up link for the first
operator (username "admin"), the same kind of link the server prints at start. Links
printed earlier stop working. Once any operator has set a password, it says so, prints
no link and exits with status 1: add further operators with "gatehouse operator create".`,
  async run(argv) {
    parseCommand(argv, {});
    return withCore(async ({ deps, config }) => {
      const link = await firstOperatorSetup(deps, CLI_AUDIT_ACTOR);
      if (!link) {
        console.log('An operator has already set a password, so there is no first-operator link any more.');
        console.log('Add operators with: gatehouse operator create --username NAME --email ADDRESS');
        // No link printed: a script waiting for one must not read this as success.
        return 1;
      }
      console.log("Set the first operator's password with this one-time link (earlier links no longer work):\n");
      console.log(howToLogIn(link, config.linkTtlMs, config.publicUrl.origin));
      return 0;
    });
  },
};

export const operatorCommands = [create, setupLink];
