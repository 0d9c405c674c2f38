/**
 * Power-cut simulation for tests: wraps an {@link FsOps} and throws {@link SimulatedCrash} at the
 * Nth mutating operation (open for write, write, sync, rename, rm, mkdir, chmod, append). Because
 * every write path goes through fsync before rename, "the process stopped here" is a faithful model
 * of a power cut for the files this code owns. Count a run once with `crashAt: Infinity` to learn
 * how many operations there are, then replay with every N.
 */
import type { FileHandleOps, FsOps } from './fs-ops.js';
import { nodeFs } from './fs-ops.js';

export class SimulatedCrash extends Error {
  constructor(readonly operation: string) {
    super(`simulated power cut at ${operation}`);
    this.name = 'SimulatedCrash';
  }
}

export interface CrashingFs extends FsOps {
  /** Mutating operations performed so far. */
  readonly operations: number;
  /** Names of the mutating operations performed, in order (e.g. `rename /x/device.json`). */
  readonly log: readonly string[];
  /** Whether the crash fired; after it every mutating operation throws too (the machine is off). */
  readonly crashed: boolean;
}

export function crashingFs(crashAt: number, base: FsOps = nodeFs): CrashingFs {
  let operations = 0;
  let crashed = false;
  const log: string[] = [];
  const step = (name: string): void => {
    if (crashed) throw new SimulatedCrash(`${name} (after power cut)`);
    operations++;
    log.push(name);
    if (operations === crashAt) {
      crashed = true;
      throw new SimulatedCrash(`#${operations} ${name}`);
    }
  };
  const wrapHandle = (h: FileHandleOps, path: string): FileHandleOps => ({
    async writeFile(data) {
      step(`write ${path}`);
      await h.writeFile(data);
    },
    async sync() {
      step(`fsync ${path}`);
      await h.sync();
    },
    close: () => h.close(),
  });
  return {
    get operations() {
      return operations;
    },
    log,
    get crashed() {
      return crashed;
    },
    async open(path, flags, mode) {
      if (flags !== 'r') step(`open ${path}`);
      return wrapHandle(await base.open(path, flags, mode), path);
    },
    async rename(from, to) {
      step(`rename ${to}`);
      await base.rename(from, to);
    },
    async rm(path, options) {
      step(`rm ${path}`);
      await base.rm(path, options);
    },
    async mkdir(path, options) {
      step(`mkdir ${path}`);
      return base.mkdir(path, options);
    },
    async chmod(path, mode) {
      step(`chmod ${path}`);
      await base.chmod(path, mode);
    },
    readFile: (path) => base.readFile(path),
    readdir: (path) => base.readdir(path),
    async appendFile(path, data, options) {
      step(`append ${path}`);
      await base.appendFile(path, data, options);
    },
  };
}
