// The common-password estimator's own thread (started by ./index.ts). It loads zxcvbn's
// dictionaries once, then scores each password the main thread posts to it, one at a time.
import { parentPort } from 'node:worker_threads';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import type { EstimateRequest, EstimateReply } from './messages.ts';

const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

parentPort?.on('message', ({ id, password, context }: EstimateRequest) => {
  let reply: EstimateReply;
  try {
    const result = estimator.check(password, context);
    reply = { id, score: result.score, warning: result.feedback.warning ?? '' };
  } catch (error) {
    // A password the estimator cannot read is not scored as strong: the main thread refuses it.
    reply = { id, failed: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
