/** `device status`'s view of the running device: written atomically, stale files read as stopped. */
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNTIME_STATUS_FILE, RuntimeStatusFile } from './runtime-status.js';

describe('RuntimeStatusFile', () => {
  it('reports what the live device wrote, 0600, and stopped once removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runtime-status-'));
    const file = new RuntimeStatusFile(dir);
    expect(RuntimeStatusFile.read(dir)).toEqual({ ble: 'stopped' });
    await file.write(
      { pid: process.pid, transport: 'tcp:127.0.0.1:6402', ble: 'unavailable', since: '2026-01-01T00:00:00.000Z' },
      (e) => {
        throw e;
      },
    );
    expect(RuntimeStatusFile.read(dir)).toEqual({
      ble: 'unavailable',
      transport: 'tcp:127.0.0.1:6402',
      since: '2026-01-01T00:00:00.000Z',
    });
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    await file.remove();
    expect(RuntimeStatusFile.read(dir)).toEqual({ ble: 'stopped' });
  });

  it('a file left by a process that is gone (SIGKILL, power cut) reads as stopped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runtime-status-'));
    // Above Linux's largest pid_max (2^22): no such process.
    writeFileSync(
      join(dir, RUNTIME_STATUS_FILE),
      JSON.stringify({ pid: 2 ** 22 + 1, transport: 'hci0', ble: 'available', since: 'x' }),
    );
    expect(RuntimeStatusFile.read(dir)).toEqual({ ble: 'stopped' });
    writeFileSync(join(dir, RUNTIME_STATUS_FILE), '{ torn');
    expect(RuntimeStatusFile.read(dir)).toEqual({ ble: 'stopped' });
  });

  it('removes the temp files a killed device left of this file, and only those', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runtime-status-'));
    writeFileSync(join(dir, `.${RUNTIME_STATUS_FILE}.0123456789ab.tmp`), '{"pid":');
    writeFileSync(join(dir, '.journal.ndjson.0123456789ab.tmp'), 'another writer');
    await new RuntimeStatusFile(dir).removeStaleTempFiles();
    expect(readdirSync(dir)).toEqual(['.journal.ndjson.0123456789ab.tmp']);
    await new RuntimeStatusFile(join(dir, 'missing')).removeStaleTempFiles();
  });
});
