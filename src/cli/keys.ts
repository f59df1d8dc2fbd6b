// `gatehouse keys rotate`: new ID token signing keys for "Log In with Gatehouse".
import { parseCommand, withCore, type Command } from './command.ts';
import { duration } from './format.ts';

const rotate: Command = {
  name: 'keys rotate',
  summary: 'Replace the signing keys of the ID tokens modules receive',
  help: `Usage: gatehouse keys rotate

Creates new signing keys for the ID tokens Gatehouse issues to modules, and retires the
current ones. Running servers pick the new keys up within a minute, on every node.
Tokens signed before the rotation still verify: retired keys stay published in the
JWKS for a grace period (a day), then they are removed.

Rotate on a schedule, or at once if a key may have leaked.`,
  async run(argv) {
    parseCommand(argv, {});
    // The modules door brings the OpenID Connect provider: loaded only when used.
    const { RETIRED_KEY_GRACE_MS, rotateSigningKeys } = await import('../modules/index.ts');
    return withCore(async ({ deps }) => {
      await rotateSigningKeys(deps.db, deps.secrets, deps.clock());
      console.log('New signing keys are active; running servers switch to them within a minute.');
      console.log(`The previous keys stay published for ${duration(RETIRED_KEY_GRACE_MS)}, so tokens they signed still verify.`);
      return 0;
    });
  },
};

export const keyCommands = [rotate];
