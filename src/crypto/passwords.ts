// Password hashing with argon2id at OWASP's parameters. Hashing is deliberately slow and
// memory-hungry, so a small gate bounds how many run at once: a burst of logins queues
// instead of exhausting memory or starving the event loop's thread pool.
import { hash, verify } from '@node-rs/argon2';
import { normalizePassword } from '../contract/password-rules.ts';

/** What one hash costs: argon2id's memory (KiB) and passes over it. */
export interface HashCost {
  memoryKiB: number;
  passes: number;
}

/** OWASP's argon2id parameters (19 MiB, 2 passes, 1 lane): every hash a running Gatehouse makes. */
export const OWASP_HASH_COST: HashCost = Object.freeze({ memoryKiB: 19 * 1024, passes: 2 });

function argon2Options(cost: HashCost) {
  return {
    algorithm: 2, // Algorithm.Argon2id (a const enum, which type stripping cannot read)
    memoryCost: cost.memoryKiB,
    timeCost: cost.passes,
    parallelism: 1,
  } as const;
}

/** Longest password accepted; longer input is refused before any hashing work. */
export { MAX_PASSWORD_LENGTH } from '../contract/password-rules.ts';

/** A hash whose turn came after the caller's `startBy` said no: it never ran. */
export class HashNotStarted extends Error {
  constructor() {
    super('the password hash waited too long for its turn');
  }
}

function createGate(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  const load = () => ({ running, waiting: waiting.length });
  return Object.assign(async function run<T>(work: () => Promise<T>, startBy?: () => boolean): Promise<T> {
    if (running >= limit) {
      await new Promise<void>((resolve) => waiting.push(resolve));
      // Too late for its caller (a login's attempt slot is held only so long): the turn
      // goes to the next in line.
      if (startBy && !startBy()) {
        waiting.shift()?.();
        throw new HashNotStarted();
      }
    }
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  }, { load });
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** `startBy`: asked when a queued hash gets its turn; false, and it throws HashNotStarted instead of running. */
  verify(passwordHash: string, password: string, startBy?: () => boolean): Promise<boolean>;
  /** Same cost as a real verify, for when there is no user: timing must not tell; so does a `startBy` refusal (HashNotStarted). */
  verifyDummy(password: string, startBy?: () => boolean): Promise<void>;
  /** Hashes running now and waiting for a slot (metrics). */
  load(): { running: number; waiting: number };
}

async function verifies(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

/**
 * `cost` is OWASP's unless the caller is a test (GatehouseOptions.passwordHashCost): a hash
 * keeps its parameters in its own text, so any stored hash verifies whatever the cost of
 * new ones.
 */
export function createPasswordHasher(maxConcurrency: number, cost: HashCost = OWASP_HASH_COST): PasswordHasher {
  const gate = createGate(maxConcurrency);
  const options = argon2Options(cost);
  let dummyHash: Promise<string> | undefined;
  const hasher: PasswordHasher = {
    // The NFKC form is hashed, so every spelling of one password is that password.
    hash: (password) => gate(() => hash(normalizePassword(password), options)),
    verify: (passwordHash, password, startBy) =>
      gate(async () => {
        const normalized = normalizePassword(password);
        if (await verifies(passwordHash, normalized)) return true;
        // A hash stored before passwords were normalized was made from the code points as
        // typed. The second try depends only on what was typed (the dummy verify makes it
        // too), so it tells nothing about the account.
        return normalized !== password && (await verifies(passwordHash, password));
      }, startBy),
    verifyDummy: async (password, startBy) => {
      dummyHash ??= hash('gatehouse-dummy-password', options);
      await hasher.verify(await dummyHash, password, startBy);
    },
    load: gate.load,
  };
  return hasher;
}
