/**
 * Whether a module is the program Node started, for CLIs that tests also import for their `main`.
 * `process.argv[1]` is the path as started, which for an installed program is npm's bin link
 * (node_modules/.bin/tp-device, /usr/local/bin/tp-device); `import.meta.url` is the real file. So
 * the two are compared by real path, not as strings.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function isMainModule(moduleUrl: string, started: string | undefined = process.argv[1]): boolean {
  if (started === undefined) return false;
  let real: string;
  try {
    real = realpathSync(started);
  } catch {
    // Nothing on disk by that name (`node -e`, `node -`): then no file module is the program.
    return false;
  }
  return real === realpathSync(fileURLToPath(moduleUrl));
}
