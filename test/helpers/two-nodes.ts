// Two Gatehouse nodes on one PostgreSQL database, sending to one SMTP capture that holds
// its answers until the test gives them: what several nodes behind a load balancer do to
// one outbox. Their clocks start together.
import { startTestServer, type TestServer } from './server.ts';
import { startSmtpCapture, type SmtpCapture } from './smtp.ts';

export interface TwoNodes {
  smtp: SmtpCapture;
  nodeA: TestServer;
  nodeB: TestServer;
  /** Gives every answer still held and any to come (a node waiting on one could not stop), then stops both nodes and the capture. */
  close(): Promise<void>;
}

export async function twoNodesOnePostgres(): Promise<TwoNodes> {
  const smtp = await startSmtpCapture({ holdAnswers: true });
  const nodeA = await startTestServer({ engine: 'postgres', quietWorkers: true, env: { GATEHOUSE_SMTP_URL: smtp.url } });
  const nodeB = await startTestServer({ quietWorkers: true, env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_DATABASE_URL: nodeA.database.url } });
  nodeB.clock.set(nodeA.clock());
  return {
    smtp,
    nodeA,
    nodeB,
    async close() {
      // Also what a node sends after this (a pass that went on to its next message), or its
      // close would wait on an answer nobody gives.
      smtp.answerAll();
      await nodeB.close();
      await nodeA.close();
      await smtp.close();
    },
  };
}
