import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { derivePassphrase } from './identity.js';

describe('ap cli', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const secret = new Uint8Array(32).fill(9);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'softap-cli-'));
    await writeFile(join(dir, 'secret'), secret, { mode: 0o600 });
    out = [];
    err = [];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders both configs without running anything', async () => {
    const code = await main(
      [
        'render',
        '--device-id',
        'pi-7',
        '--secret-file',
        join(dir, 'secret'),
        '--country',
        'DE',
        '--out',
        dir,
        '--state-dir',
        '/run/tp',
      ],
      io,
    );
    expect(code).toBe(0);
    expect(out).toEqual([`wrote hostapd.conf (0600) and dnsmasq.conf to ${dir} for SSID "Setup-pi-7"`]);
    expect(await readFile(join(dir, 'hostapd.conf'), 'utf8')).toContain(
      `wpa_passphrase=${derivePassphrase(secret, 'pi-7')}\n`,
    );
    expect((await stat(join(dir, 'hostapd.conf'))).mode & 0o777).toBe(0o600);
  });

  it('prints the label passphrase on request only', async () => {
    expect(await main(['passphrase', '--device-id', 'pi-7', '--secret-file', join(dir, 'secret')], io)).toBe(0);
    expect(out).toEqual([derivePassphrase(secret, 'pi-7')]);
  });

  it('exits 2 with CONFIG_INVALID on a bad value, and with a usage error on a missing argument', async () => {
    expect(
      await main(
        ['render', '--device-id', 'pi-7', '--secret-file', join(dir, 'secret'), '--country', 'de', '--out', dir],
        io,
      ),
    ).toBe(2);
    expect(err).toEqual([
      'CONFIG_INVALID: The configuration is invalid: countryCode: must be two upper-case letters (ISO 3166-1 alpha-2)',
    ]);
    expect(await main(['start', '--secret-file', join(dir, 'secret')], io)).toBe(2);
    // Checked before the secret file is read: one line naming the flag, one pointing to --help.
    expect(err[1]).toBe(
      'softap-fallback/ap/cli.ts: start needs --device-id\nrun `npx tsx softap-fallback/ap/cli.ts --help` for usage',
    );
    expect(await main(['bogus'], io)).toBe(2);
  });
});
