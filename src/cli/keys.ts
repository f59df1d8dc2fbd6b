// `gatehouse keys rotate [--now]`: new ID token signing keys for "Log In with Gatehouse".
import { parseCommand, withCore, type Command } from './command.ts';
import { duration } from './format.ts';
import { CLI_AUDIT_ACTOR } from './requests.ts';

const rotate: Command = {
  name: 'keys rotate',
  summary: 'Replace the signing keys of the ID tokens modules receive',
  help: `Usage: gatehouse keys rotate [--now]

Creates new signing keys for the ID tokens Gatehouse issues to modules, and retires the
current ones. Running servers pick the new keys up within a minute, on every node.

Without --now (routine rotation): tokens signed before the rotation still verify, because
retired keys stay published in the JWKS for a grace period (a day), then are removed.

--now   For a key that may have leaked: the previous keys are deleted at once and stop
        being published within a minute. Tokens they signed stop verifying, so modules
        will need their users to log in again.`,
  async run(argv) {
    const { values } = parseCommand(argv, { now: { type: 'boolean' } });
    const dropPrevious = values.now === true;
    // The modules door brings the OpenID Connect provider: loaded only when used.
    const { RETIRED_KEY_GRACE_MS, rotateSigningKeys } = await import('../modules/index.ts');
    return withCore(async ({ deps }) => {
      const { dropped } = await rotateSigningKeys(deps.db, deps.secrets, deps.clock(), { dropPrevious, by: CLI_AUDIT_ACTOR });
      console.log('New signing keys are active; running servers switch to them within a minute.');
      if (dropPrevious) {
        console.log(`Removed the previous keys at once (${dropped.join(', ') || 'none'}): tokens they signed no longer verify.`);
      } else {
        console.log(`The previous keys stay published for ${duration(RETIRED_KEY_GRACE_MS)}, so tokens they signed still verify.`);
      }
      return 0;
    });
  },
};

export const keyCommands = [rotate];
