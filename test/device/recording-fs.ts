/** An FsOps that names every mutating operation in the order the crash harness counts them. */
import type { FileHandleOps, FsOps } from '../../peripheral/storage/fs-ops.js';
import { nodeFs } from '../../peripheral/storage/fs-ops.js';

export function recordingFs(names: string[], base: FsOps = nodeFs): FsOps {
  const wrap = (h: FileHandleOps, path: string): FileHandleOps => ({
    async writeFile(data) {
      names.push(`write ${path}`);
      await h.writeFile(data);
    },
    async sync() {
      names.push(`fsync ${path}`);
      await h.sync();
    },
    close: () => h.close(),
  });
  return {
    async open(path, flags, mode) {
      if (flags !== 'r') names.push(`open ${path}`);
      return wrap(await base.open(path, flags, mode), path);
    },
    async rename(from, to) {
      names.push(`rename ${to}`);
      await base.rename(from, to);
    },
    async rm(path, options) {
      names.push(`rm ${path}`);
      await base.rm(path, options);
    },
    async mkdir(path, options) {
      names.push(`mkdir ${path}`);
      return base.mkdir(path, options);
    },
    async chmod(path, mode) {
      names.push(`chmod ${path}`);
      await base.chmod(path, mode);
    },
    readFile: (path) => base.readFile(path),
    readdir: (path) => base.readdir(path),
    async appendFile(path, data, options) {
      names.push(`append ${path}`);
      await base.appendFile(path, data, options);
    },
  };
}
