// `gatehouse keys rotate [--now]`: new ID token signing keys for "Log In with Gatehouse".
// `gatehouse keys replace-lost-secret`: starting again under a new secret key when the one
// the database was made with is lost for good (src/lost-secret-key.ts).
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config.ts';
import { generateSecretKey } from '../crypto/index.ts';
import type { LostSecretSurvey } from '../lost-secret-key.ts';
import { secretKeyConfigured, writeReplacementKeyFile } from '../secret-key.ts';
import { CliError, parseCommand, UsageError, withCore, type Command } from './command.ts';
import { duration, time } from './format.ts';
import { CLI_AUDIT_ACTOR } from './requests.ts';

const rotate: Command = {
  name: 'keys rotate',
  summary: 'Replace the signing keys of the ID tokens modules receive',
  help: `Usage: gatehouse keys rotate [--now]

Creates new signing keys for the ID tokens Gatehouse issues to modules, and retires the
current ones.

Without --now (routine rotation): the new keys are published in the JWKS by every node
within a minute, and used for signing only 3 minutes after the rotation, once every
module's cached key set lists them. Until then the current keys keep signing; from then
they are retired but stay published for a grace period (a day), so tokens they signed
still verify, then are removed.

--now   For a key that may have leaked: the previous keys are deleted at once and stop
        being published within a minute, and every node signs with the new keys from its
        next key check. Tokens the old keys signed stop verifying, so modules will need
        their users to log in again.`,
  async run(argv) {
    const { values } = parseCommand(argv, { now: { type: 'boolean' } });
    const dropPrevious = values.now === true;
    // The modules door brings the OpenID Connect provider: loaded only when used.
    const { RETIRED_KEY_GRACE_MS, rotateSigningKeys } = await import('../modules/index.ts');
    return withCore(async ({ deps }) => {
      const { dropped, activatesAt } = await rotateSigningKeys(deps.db, deps.secrets, deps.clock(), { dropPrevious, by: CLI_AUDIT_ACTOR });
      if (dropPrevious) {
        console.log('New signing keys are active; running servers switch to them within a minute.');
        console.log(`Removed the previous keys at once (${dropped.join(', ') || 'none'}): tokens they signed no longer verify.`);
      } else {
        console.log(`New signing keys are published; running servers sign with them from ${time(activatesAt)} (within a minute after).`);
        console.log(`The previous keys sign until then and stay published for ${duration(RETIRED_KEY_GRACE_MS)} after, so tokens they signed still verify.`);
      }
      return 0;
    });
  },
};

const LOST_HELP = `Usage: gatehouse keys replace-lost-secret [--yes]

For a secret key lost for good, and only then: if any copy of it exists (a secret store,
a backup of secret.key, a node still running with GATEHOUSE_SECRET_KEY), restore that
instead. Stop every node first.

Starts again under the secret key configured now (GATEHOUSE_SECRET_KEY, or secret.key in
the data folder; with neither, a new secret.key is written there). Everything the lost
key sealed or keyed becomes unusable, in a defined way:

  - authenticator app secrets are cleared, with every recovery code; those users'
    sessions and module tokens end and each is told by mail. A user with a passkey or
    security key signs in with it; any other sets up an authenticator app after the
    password at the next login, as after a 2FA reset
  - unfinished logins and single sign-ons in progress end
  - OpenID Connect identity providers' client secrets are cleared: a Master of each
    company listed enters it again
  - mail not sent yet is dropped (marked failed)
  - the ID token signing keys are replaced, as by keys rotate --now
  - module and API client secrets no longer match: rotate each one listed

It lists what it will change and asks for confirmation; it changes nothing when the
key configured opens what the database sealed. Audited as secret_key.replaced.

--yes   Do not ask (for scripts). Without a terminal, --yes is required.`;

function printSurvey(found: LostSecretSurvey, done: boolean): void {
  const will = (what: string) => (done ? what : `will be ${what}`);
  const keyUsers = found.appSecrets.filter((user) => user.hasKey).length;
  console.log(`Authenticator app secrets ${will('cleared')}: ${found.appSecrets.length} user(s) (${keyUsers} of them keep a passkey or security key; the others set up an app at their next login).`);
  for (const user of found.appSecrets.slice(0, 20)) console.log(`  ${user.companyName} / ${user.username}${user.hasKey ? ' (has a key)' : ''}`);
  if (found.appSecrets.length > 20) console.log(`  ... and ${found.appSecrets.length - 20} more`);
  console.log(`Recovery codes ${will('deleted')}: ${found.recoveryCodes}.`);
  console.log(`Unfinished logins ${will('ended')}: ${found.unfinishedLogins}; single sign-ons in progress: ${found.ssoRequests}.`);
  console.log(`Identity provider client secrets ${will('cleared')} (a Master enters each again): ${found.ssoSecrets.length}.`);
  for (const provider of found.ssoSecrets) console.log(`  ${provider.companyName} / ${provider.name}`);
  console.log(`Mail not sent yet ${will('dropped')}: ${found.queuedMail.length}.`);
  for (const mail of found.queuedMail.slice(0, 20)) console.log(`  to ${mail.recipient}: ${mail.subject}`);
  console.log(`Signing keys ${will('replaced')}: ${found.signingKeys} (modules' users log in again).`);
  console.log(`Module secrets that no longer match (Rotate Secret in the operator console): ${found.modules.length}.`);
  for (const module of found.modules) console.log(`  ${module.name} (${module.clientId})`);
  console.log(`API client secrets that no longer match (gatehouse api-clients rotate): ${found.apiClients.length}.`);
  for (const client of found.apiClients) console.log(`  ${client.name} (${client.clientId})`);
}

async function confirmed(): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await terminal.question('Type "replace" to go on: ')).trim() === 'replace';
  } finally {
    terminal.close();
  }
}

const replaceLostSecret: Command = {
  name: 'keys replace-lost-secret',
  summary: 'Start again under a new secret key when the old one is lost for good',
  help: LOST_HELP,
  async run(argv) {
    const { values } = parseCommand(argv, { yes: { type: 'boolean' } });
    const ask = values.yes !== true;
    if (ask && !process.stdin.isTTY) {
      throw new UsageError('keys replace-lost-secret asks for confirmation, and there is no terminal to ask at. Read "gatehouse keys replace-lost-secret --help", then run it with --yes.');
    }
    const config = loadConfig();
    // The embedded default with secret.key gone: a new key, written only once confirmed.
    const newKey = secretKeyConfigured(config) ? undefined : generateSecretKey();
    const { replaceLostSecretKey, surveyLostSecret } = await import('../lost-secret-key.ts');
    return withCore(
      async ({ deps }) => {
        const before = await surveyLostSecret(deps.db, deps.secrets);
        if (before.unopenable === 0) {
          throw new CliError('The secret key configured opens everything this database sealed: nothing is lost, and nothing was changed.');
        }
        console.log('The secret key configured does not open what this database sealed. Under it:');
        printSurvey(before, false);
        if (newKey !== undefined) console.log(`A new secret key will be written to ${config.dataDir}/secret.key: back it up apart from the database.`);
        if (ask && !(await confirmed())) {
          console.log('Nothing was changed.');
          return 1;
        }
        if (newKey !== undefined) console.log(`Wrote the new secret key to ${writeReplacementKeyFile(config, newKey)}.`);
        const after = await replaceLostSecretKey(deps, CLI_AUDIT_ACTOR);
        console.log('');
        console.log('Done (audited as secret_key.replaced):');
        printSurvey(after, true);
        console.log('Start the server with this secret key; keep a copy of it apart from the database.');
        return 0;
      },
      { lostSecretKey: newKey === undefined ? {} : { newKey } },
    );
  },
};

export const keyCommands = [rotate, replaceLostSecret];
