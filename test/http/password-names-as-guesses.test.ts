// The common-password check counts the user's own names as guessable (username and
// company name). The estimator matches a word whole, and a company named "Northwind
// Traders" or a username "anna.kowalska" is one word with a space or a dot in it, which
// "NorthwindTraders1!" or "AnnaKowalska2026!" never contains: the first guesses anyone
// aiming at the company tries were accepted. The names now go to the estimator whole, in
// parts and run together (guessableWords, src/credentials/password-policy.ts).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { approvedCompany, signedInOperator, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('a password made of the company name or the username is refused however the name is spelled (sqlite)', () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    operator = await signedInOperator(server);
  });
  after(() => server.close());

  const request = (companyName: string, email: string) => ({ companyName, contactName: 'Anna Kowalska', email, phone: '+1 555 0100', note: 'Ten people' });

  test('Sign Up: the company name "Northwind Traders" without its space, a number and a symbol', async () => {
    const { link } = await approvedCompany(server, operator.agent, request('Northwind Traders', 'anna@northwind.test'), 'anna.kowalska');
    const password = 'NorthwindTraders1!';
    const answer = await server.agent().post('/api/signup', { token: tokenFromLink(link), password, confirm: password });
    assert.equal(answer.status, 400, `the company's own name was accepted as a password: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error.code, 'password.too_common');
  });

  test('Sign Up: the username "anna.kowalska" without its dot, a year and a symbol', async () => {
    const { link, username } = await approvedCompany(server, operator.agent, request('Velvet Logistics', 'anna@velvet-logistics.test'), 'anna.kowalska');
    assert.equal(username, 'anna.kowalska');
    const password = 'AnnaKowalska2026!';
    const answer = await server.agent().post('/api/signup', { token: tokenFromLink(link), password, confirm: password });
    assert.equal(answer.status, 400, `the user's own username was accepted as a password: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error.code, 'password.too_common');
    // A password unrelated to the names is taken.
    const other = 'Copper-Lantern-93!';
    assert.equal((await server.agent().post('/api/signup', { token: tokenFromLink(link), password: other, confirm: other })).status, 200);
  });
});
