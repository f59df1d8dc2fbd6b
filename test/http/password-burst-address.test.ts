// Every `401 login.invalid_credentials` of the password step counts against the client
// address, whoever the name is (src/login/steps.ts, rejectCredentials). A burst of wrong
// passwords for a real name, sent at once, has at most the lockout threshold checked and
// the rest refused for held slots; had those refusals not counted, the address would have
// more tries left after the burst than after the same burst for an unknown name, and an
// attacker comparing the two would learn that the name exists. The price, also pinned
// here: a person repeating a right password while their own logins hold the slots has
// those refusals counted against their network too (docs/SECURITY.md, enumeration).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IP_MAX_FAILURES } from '../../src/login/ip-throttle.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

const THRESHOLD = 5; // the default policy's lockout threshold
const BURST = 3 * THRESHOLD;

for (const engine of await enginesUnderTest()) describe(`a burst's count at the address is the same for a real name and an unknown one (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    // Behind a trusted proxy, so each test names the addresses it sends from.
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Burst Co', emailDomain: 'burst.test' });
  });
  after(() => server.close());

  let n = 0;
  const anAddress = () => ((n += 1), `198.18.${n >> 8}.${n & 255}`);
  type Who = { username: string; companyName: string };

  /** Identify, then the password, both from `address`. */
  async function passwordStep(who: Who, password: string, address: string) {
    const agent = server.agent();
    const from = { 'x-forwarded-for': address };
    assert.equal((await agent.post('/api/login/identify', who, from)).status, 200);
    return agent.post('/api/login/password', { password }, from);
  }

  /** `count` wrong passwords for `who` from `address`, sent at once (identified first, so the passwords arrive together). */
  async function burst(who: Who, address: string, count: number) {
    const from = { 'x-forwarded-for': address };
    const agents = Array.from({ length: count }, () => server.agent());
    for (const agent of agents) assert.equal((await agent.post('/api/login/identify', who, from)).status, 200);
    const answers = await Promise.all(agents.map((agent, i) => agent.post('/api/login/password', { password: `Burst-Guess-${i}-Wrong!` }, from)));
    return answers.map((answer) => `${answer.status} ${answer.body.error?.code}`);
  }

  /** What an attacker probes: how many more failed password steps `address` gets before its 429. */
  async function triesLeft(address: string, companyName: string) {
    for (let tries = 0; tries <= IP_MAX_FAILURES; tries += 1) {
      const answer = await passwordStep({ username: `probe-${tries}`, companyName }, 'Probe-Guess-1!', address);
      if (answer.status === 429) {
        assert.equal(answer.body.error.code, 'request.rate_limited');
        return tries;
      }
      assert.equal(answer.body.error?.code, 'login.invalid_credentials', JSON.stringify(answer.body));
    }
    assert.fail(`${address} was never throttled`);
  }

  test(`${BURST} wrong passwords at once for a real name and for an unknown one leave their addresses the same tries`, async () => {
    const real = await tenants.signedUp();
    const unknown = { username: 'nobody-by-this-name', companyName: real.companyName };
    const [realAddress, unknownAddress] = [anAddress(), anAddress()];

    const everyAnswer = Array.from({ length: BURST }, () => '401 login.invalid_credentials');
    assert.deepEqual(await burst(real, realAddress, BURST), everyAnswer);
    assert.deepEqual(await burst(unknown, unknownAddress, BURST), everyAnswer);

    const left = { real: await triesLeft(realAddress, real.companyName), unknown: await triesLeft(unknownAddress, real.companyName) };
    assert.deepEqual(left, { real: IP_MAX_FAILURES - BURST, unknown: IP_MAX_FAILURES - BURST });
  });

  test('the price: a right password refused while earlier logins hold every slot counts against its address like any failure', async () => {
    const person = await tenants.signedUp();
    // Right, and abandoned after the password, from elsewhere: their holds fill the slots
    // until they lapse (the test's clock stands still; attempt-holds.test.ts).
    for (let i = 0; i < THRESHOLD; i += 1) assert.equal((await passwordStep(person, person.password, anAddress())).body.step, 'enroll');
    const address = anAddress();
    const refused = await passwordStep(person, person.password, address);
    assert.equal(refused.body.error?.code, 'login.invalid_credentials');
    assert.equal(await triesLeft(address, person.companyName), IP_MAX_FAILURES - 1);
  });
});
