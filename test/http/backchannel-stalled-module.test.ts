// Guards the back-channel worker's promise that modules are independent: one module whose
// endpoint hangs, or answers slowly, with a backlog of owed notices (a module unreachable
// for a while owes every logout of its users meanwhile) keeps only its own notices waiting,
// never another module's. The worker once took the 20 oldest due notices a pass and waited
// on all of them: the stalled module's old notices, retried at 1 s, 2 s, 4 s ..., stayed the
// oldest due, each hanging POST held the pass for 2.5 s, and another module's fresh logout
// waited minutes behind the backlog. Now a pass takes a fair share of each module's due
// notices and a module still being delivered to is left to that delivery (worker.ts).
// On the wall clock, with the worker on its own timer, as in production: the test waits on
// the notice arriving, and the deadline only bounds a failure (the worker runs every second).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { enqueueLogoutNotice } from '../../src/modules/backchannel/index.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, grantedModule, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

/** Far more than the worker needs once modules are independent; far less than a backlog takes. */
const DEADLINE_MS = 10_000;
const BACKLOG = 200;

/**
 * A module's back-channel endpoint that takes the POST and answers after `answerAfterMs`
 * (within the provider's 2.5 s cut: a slow module whose notices do get delivered), or
 * never (null: a hanging one, each POST cut by the provider).
 */
async function stalledEndpoint(answerAfterMs: number | null) {
  let hits = 0;
  const answers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((request, response) => {
    hits += 1;
    request.resume();
    if (answerAfterMs === null) return;
    const answer = setTimeout(() => {
      answers.delete(answer);
      response.writeHead(200).end();
    }, answerAfterMs);
    answers.add(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/backchannel`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const answer of answers) clearTimeout(answer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const engine of await enginesUnderTest()) {
  describe(`a stalled module does not hold up the others (${engine})`, () => {
    let server: TestServer;
    let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
    let hanging: Awaited<ReturnType<typeof stalledEndpoint>>;
    let slow: Awaited<ReturnType<typeof stalledEndpoint>>;
    let operator: Awaited<ReturnType<typeof signedInOperator>>;
    before(async () => {
      receiver = await startBackchannelReceiver();
      hanging = await stalledEndpoint(null);
      slow = await stalledEndpoint(2_000);
      // The workers run on their own timers, on the wall clock, as in production.
      server = await startTestServer({ engine, realClock: true });
      operator = await signedInOperator(server);
    });
    after(async () => {
      await server.close();
      await receiver.close();
      await hanging.close();
      await slow.close();
    });

    /** A company whose Root Master is signed in to Ticketing (answers at once), and whose `stalled` modules each owe a backlog. */
    async function companyOwingBacklogs(name: string, stalled: { name: string; url: string }[]) {
      const acme = await companyWithRootMaster(server, operator.agent, name);
      const backlogged = [];
      for (const module of stalled) backlogged.push(await grantedModule(server, operator.agent, acme.companyId, { name: module.name, backchannelLogoutUri: module.url }));
      const ticketing = await grantedModule(server, operator.agent, acme.companyId, { name: 'Ticketing', backchannelLogoutUri: receiver.url(`/${acme.companyId}/ticketing`) });
      const { claims } = await signInToModule(ticketing.config, acme.agent);
      // The stalled modules have been unreachable for a while: the logouts of their users
      // meanwhile are owed to them (as a busy company's hour brings).
      const { db } = server.gatehouse.deps;
      for (const module of backlogged) {
        for (let i = 0; i < BACKLOG; i++) {
          await enqueueLogoutNotice(db, Date.now(), { companyId: acme.companyId, clientId: module.module.clientId, accountId: claims.sub, sid: `owed-${i}`, reason: 'logout' });
        }
      }
      return { acme, claims, ticketingPath: `/${acme.companyId}/ticketing`, owedBy: backlogged.map((module) => module.module.clientId) };
    }

    /** The Root Master logs out; how long until Ticketing hears of it (an error past the deadline). */
    async function ticketingHearsOfLogout({ acme, claims, ticketingPath }: Awaited<ReturnType<typeof companyOwingBacklogs>>) {
      const loggedOutAt = Date.now();
      assert.equal((await acme.agent.post('/api/logout')).status, 200);
      const notice = await receiver.waitFor((n) => n.path === ticketingPath && n.payload.sid === claims.sid, 'the Ticketing logout', DEADLINE_MS).catch((error: Error) => error);
      return { notice, waited: Date.now() - loggedOutAt };
    }

    test("a logout from a healthy module is delivered within seconds while another module's backlog hangs", async () => {
      const owing = await companyOwingBacklogs('Acme Head Of Line', [{ name: 'Reports', url: hanging.url }]);
      const { notice, waited } = await ticketingHearsOfLogout(owing);
      assert.ok(!(notice instanceof Error), `Ticketing heard nothing of the logout for ${waited} ms while Reports' endpoint hangs: ${hanging.hits()} POSTs to Reports meanwhile`);
    });

    test('nor while two modules owe backlogs, one hanging and one answering slowly', async () => {
      const owing = await companyOwingBacklogs('Acme Two Stalled', [
        { name: 'Reports', url: hanging.url },
        { name: 'Billing', url: slow.url },
      ]);
      const { notice, waited } = await ticketingHearsOfLogout(owing);
      assert.ok(
        !(notice instanceof Error),
        `Ticketing heard nothing of the logout for ${waited} ms: ${hanging.hits()} POSTs to the hanging Reports, ${slow.hits()} to the slow Billing meanwhile`,
      );
      // And the slow module's backlog goes out all the same, a share at a time.
      const billing = owing.owedBy[1] as string;
      const { db } = server.gatehouse.deps;
      await until(
        async () => (await db.selectFrom('backchannel_outbox').select('id').where('client_id', '=', billing).where('status', '=', 'sent').execute()).length >= 20,
        "a first share of the slow module's backlog delivered",
        DEADLINE_MS,
      );
    });
  });
}
