// The directory holding Gatehouse's package.json, which web/dist and package.json itself are
// found from. Development and tests run this file from src/shared/, production runs the build
// from dist/src/shared/ (npm run build:server), so a fixed number of '..' would be right for
// only one of them: walk up to the package.json instead.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));
