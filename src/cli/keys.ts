// `gatehouse keys rotate [--now]`: new ID token signing keys for "Log In with Gatehouse".
import { parseCommand, withCore, type Command } from './command.ts';
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

export const keyCommands = [rotate];
