// Where a request stands while the slow password hash runs, made to wait for the test's
// turn: the server's next password check is held open, once it has its answer, until the
// test releases it. The check itself is the real one; only its timing is the test's.
import type { TestServer } from './server.ts';

export function holdNextPasswordCheck(server: TestServer) {
  const { hasher } = server.gatehouse.deps;
  const verify = hasher.verify.bind(hasher);
  let reached!: () => void;
  let release!: () => void;
  const atHold = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  let armed = true;
  hasher.verify = async (...args: Parameters<typeof verify>) => {
    const answer = await verify(...args);
    if (armed) {
      armed = false;
      reached();
      await gate;
    }
    return answer;
  };
  return { atHold, release, restore: () => (hasher.verify = verify) };
}
