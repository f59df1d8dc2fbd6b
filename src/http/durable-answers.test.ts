// An answer built from reads leaves only once what it could have read is committed, and a
// lost batch turns it into an error instead. A real Fastify app over a real port; the
// durability is a hand-held stand-in for the SQLite driver's (tested itself in
// test/storage/group-commit.test.ts) so the test decides when the commit lands.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { durableAnswers } from './durable-answers.ts';

function heldCommit() {
  let settle!: (error?: Error) => void;
  const committed = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  committed.catch(() => {});
  let pending = true;
  let asked!: () => void;
  /** Resolves once an answer is held at the commit (its handler has run). */
  const held = new Promise<void>((resolve) => (asked = resolve));
  return {
    held,
    durability: {
      mark: () => 1,
      settled: () => {
        asked();
        return pending ? committed : undefined;
      },
    },
    commit: () => {
      pending = false;
      settle();
    },
    lose: () => settle(new Error('the batch was lost')),
  };
}

async function serve(durability: Parameters<typeof durableAnswers>[1]) {
  const app = Fastify();
  durableAnswers(app, durability);
  app.get('/read', async () => ({ seen: 'a pending write' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}/read` };
}

test('the answer waits for the commit it could have read from', async () => {
  const held = heldCommit();
  const { app, url } = await serve(held.durability);
  try {
    let answered = false;
    const answer = fetch(url).then(async (res) => {
      answered = true;
      return { status: res.status, body: await res.json() };
    });
    // The handler has run and the answer is at the commit: it stays there until it lands.
    await held.held;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, false, 'nothing left before the commit');
    held.commit();
    assert.deepEqual(await answer, { status: 200, body: { seen: 'a pending write' } });
  } finally {
    await app.close();
  }
});

test('a lost batch makes the answer an error, never the data read from it', async () => {
  const held = heldCommit();
  const { app, url } = await serve(held.durability);
  try {
    const answer = fetch(url).then(async (res) => ({ status: res.status, body: await res.text() }));
    held.lose();
    const { status, body } = await answer;
    assert.equal(status, 500);
    assert.doesNotMatch(body, /pending write/);
  } finally {
    await app.close();
  }
});

test('without group commit (PostgreSQL) no hook is installed', async () => {
  const { app, url } = await serve(undefined);
  try {
    assert.equal((await fetch(url)).status, 200);
  } finally {
    await app.close();
  }
});
