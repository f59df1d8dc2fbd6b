// The module guide (docs/MODULES.md) and the tests that run its snippets. A code block
// follows a `<!-- guide: NAME -->` line in the guide; the test running it marks the same
// code with `// guide: NAME` ... `// end guide`, or reads the block itself (the Apache
// configuration, the Python script), so what the guide shows is what the suite runs.
import { readFileSync } from 'node:fs';

export const GUIDE_PATH = new URL('../../docs/MODULES.md', import.meta.url);

/** Every marked block of the guide, by name. */
export function guideBlocks(): Map<string, string> {
  const text = readFileSync(GUIDE_PATH, 'utf8');
  const blocks = new Map<string, string>();
  for (const match of text.matchAll(/<!-- guide: ([\w-]+) -->\s*\n```[\w-]*\n([\s\S]*?)\n```/g)) {
    blocks.set(match[1] as string, match[2] as string);
  }
  return blocks;
}

export function guideBlock(name: string): string {
  const block = guideBlocks().get(name);
  if (block === undefined) throw new Error(`docs/MODULES.md has no block marked <!-- guide: ${name} -->`);
  return block;
}

/** The `// guide: NAME` regions of a test file, by name. */
export function testedRegions(file: URL): Map<string, string> {
  const text = readFileSync(file, 'utf8');
  const regions = new Map<string, string>();
  for (const match of text.matchAll(/\/\/ guide: ([\w-]+)\n([\s\S]*?)\n\s*\/\/ end guide/g)) {
    regions.set(match[1] as string, match[2] as string);
  }
  return regions;
}

/** Code compared line by line, ignoring indentation, blank lines and imports (the test has its own). */
export function codeLines(code: string): string[] {
  return code
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('import '));
}
