/**
 * One process of scripts/run-tests.ts: runs the test files it is given
 * (GATEHOUSE_TEST_BATCH, a JSON list of paths), one after another, each as a suite named
 * by its path. A file's tests and hooks, its top-level `before` and `after` included,
 * belong to its suite: loading the file inside the suite's function makes the suite the
 * parent of everything the file declares, so one file's hooks never run around
 * another's tests, and a report says which file each test is in.
 */
import path from 'node:path';
import { describe } from 'node:test';
import { pathToFileURL } from 'node:url';

const files = JSON.parse(process.env.GATEHOUSE_TEST_BATCH ?? '[]') as string[];
if (files.length === 0) throw new Error('GATEHOUSE_TEST_BATCH names no test file');
for (const file of files) {
  describe(path.relative(process.cwd(), file) || file, async () => {
    await import(pathToFileURL(path.resolve(file)).href);
  });
}
