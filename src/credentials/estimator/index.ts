// The common-password estimator (zxcvbn-ts), on a thread of its own. On the event loop it
// stalled every other request: loading its dictionaries takes about half a second, and it
// reads a password once per l33t reading over every substring, so a password of digits
// that read as letters costs it hundreds of milliseconds to over a second, and a refused
// password uses nothing up (a Sign Up or reset link can be tried again at once). Here the
// loop only posts the password and awaits the score.
//
// The thread starts on the first check and ends after a minute without one, taking the
// dictionaries (tens of MiB) with it: a node that only signs people in never holds them.
// Checks wait their turn in one queue, at most MAX_PER_HOLDER of one user's at a time (so
// one link's holder cannot fill it and make everyone else wait) and MAX_WAITING in all;
// past either the check is refused as busy (`password.check_busy`, 503), not queued
// behind seconds of others' work.
import { Worker } from 'node:worker_threads';
import { GatehouseError } from '../../errors.ts';
import type { EstimateReply, EstimateRequest } from './messages.ts';

export interface Estimate {
  /** 0 to 4: below 3 falls to an offline attack in well under a day of guessing. */
  score: number;
  /** The estimator's own hint ("This is a very common password."), or ''. */
  warning: string;
}

const MAX_WAITING = 16;
const MAX_PER_HOLDER = 4;
const IDLE_MS = 60_000;
// Production runs the build (dist/, .js), development and tests the sources (.ts).
const THREAD_FILE = new URL(import.meta.url.endsWith('.ts') ? './thread.ts' : './thread.js', import.meta.url);

interface Waiting {
  holder: string;
  resolve: (estimate: Estimate) => void;
  reject: (error: Error) => void;
}

let thread: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 1;
const waiting = new Map<number, Waiting>();
const waitingByHolder = new Map<string, number>();

/**
 * Scores a password on the estimator's thread; `context` words count as guessable.
 * `holder` names whose check it is (a user), for the cap on one holder's checks.
 */
export function estimatePassword(password: string, context: string[], holder: string): Promise<Estimate> {
  const holders = waitingByHolder.get(holder) ?? 0;
  if (waiting.size >= MAX_WAITING || holders >= MAX_PER_HOLDER) {
    return Promise.reject(new GatehouseError('password.check_busy'));
  }
  const worker = startedThread();
  const id = nextId++;
  const request: EstimateRequest = { id, password, context };
  waitingByHolder.set(holder, holders + 1);
  return new Promise<Estimate>((resolve, reject) => {
    waiting.set(id, { holder, resolve, reject });
    worker.postMessage(request);
  });
}

function forget(id: number): Waiting | undefined {
  const entry = waiting.get(id);
  if (!entry) return undefined;
  waiting.delete(id);
  const left = (waitingByHolder.get(entry.holder) ?? 1) - 1;
  if (left > 0) waitingByHolder.set(entry.holder, left);
  else waitingByHolder.delete(entry.holder);
  return entry;
}

/** Checks running or waiting, for GET /metrics. */
export function estimatorLoad(): { running: number; waiting: number } {
  return { running: Math.min(waiting.size, 1), waiting: Math.max(waiting.size - 1, 0) };
}

function startedThread(): Worker {
  clearTimeout(idleTimer);
  idleTimer = undefined;
  if (thread) {
    thread.ref();
    return thread;
  }
  const worker = new Worker(THREAD_FILE, {
    // A runaway estimate ends the thread (and fails its checks), not the process.
    resourceLimits: { maxOldGenerationSizeMb: 256 },
  });
  worker.on('message', (reply: EstimateReply) => settle(worker, reply));
  worker.on('error', (error) => endThread(worker, error));
  worker.on('exit', (code) => endThread(worker, new Error(`the password estimator's thread exited with code ${code}`)));
  thread = worker;
  return worker;
}

function settle(worker: Worker, reply: EstimateReply): void {
  const entry = forget(reply.id);
  if ('failed' in reply) {
    entry?.reject(new Error(`the password estimator failed: ${reply.failed}`));
  } else {
    entry?.resolve({ score: reply.score, warning: reply.warning });
  }
  if (waiting.size === 0 && thread === worker) {
    // Idle: the thread no longer keeps the process alive, and ends if no check comes.
    worker.unref();
    idleTimer = setTimeout(() => {
      // Forgotten first, so a check that comes while it exits starts a new thread.
      thread = undefined;
      void worker.terminate();
    }, IDLE_MS).unref();
  }
}

function endThread(worker: Worker, cause: Error): void {
  if (thread !== worker) return;
  thread = undefined;
  clearTimeout(idleTimer);
  idleTimer = undefined;
  // Checks posted to this thread cannot be answered; the next check starts a new one.
  for (const id of [...waiting.keys()]) {
    forget(id)?.reject(new GatehouseError('service.unavailable', { cause }));
  }
}
