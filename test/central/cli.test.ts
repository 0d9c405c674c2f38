import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textContaining } from '../matchers.js';
import { runCli } from '../../apps/central/cli/run.js';
import type { CliIo } from '../../apps/central/cli/io.js';
import { TokenCache } from '../../central/auth/token-cache.js';
import { signInThroughPages, startCentralFixture } from './fixture.js';
import type { CentralFixture } from './fixture.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
  opened: string[];
}

describe('central CLI against the emulator', () => {
  let fx: CentralFixture;
  let base: string[];
  let cachePath: string;

  /** Runs one command in-process; a sign-in URL printed on stderr is answered through the login pages. */
  const run = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const opened: string[] = [];
    const signIns: Promise<void>[] = [];
    const io: CliIo = {
      stdout: {
        write: (t: string) => {
          stdout += t;
        },
      },
      stderr: {
        write: (t: string) => {
          stderr += t;
          const url = /^\s+(http:\/\/\S+\/auth\?\S+)$/m.exec(t)?.[1];
          if (url) signIns.push(signInThroughPages(new URL(url), fx.username, fx.password));
        },
      },
      stdin: new PassThrough(),
      env,
      openBrowser: (url) => {
        opened.push(url);
        return false;
      },
    };
    const code = await runCli([...base, ...args], io);
    await Promise.all(signIns);
    const last = stdout.trim().split('\n').at(-1) ?? '';
    return {
      code,
      stdout,
      stderr,
      json: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : {},
      opened,
    };
  };

  beforeAll(async () => {
    fx = await startCentralFixture();
    cachePath = join(fx.dir, 'cli-tokens.json');
    base = ['--config', fx.emulator.cloudJsonPath, '--token-cache', cachePath];
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('logs in through the browser flow, shows who, fetches a claim and logs out, printing no secret', async () => {
    const login = await run(['login', '--json']);
    expect(login.code).toBe(0);
    expect(login.json).toMatchObject({ ok: true, user: fx.username, issuer: fx.config.oidc.issuer });
    expect(login.opened).toHaveLength(1); // it tried to open a browser with the printed URL
    expect(login.stderr).toContain(login.opened[0]!);

    const tokens = new TokenCache(cachePath).read()!;
    const who = await run(['whoami']);
    expect(who.code).toBe(0);
    expect(who.stdout).toContain(`Logged in as ${fx.username}`);

    const claim = await run(['claim', '--json']);
    expect(claim.code).toBe(0);
    expect(claim.json.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(claim.json.template).toBe(fx.config.iot.provisioningTemplateName);

    // --out: the certificate and key as files for the SoftAP page, owner-only; the key never on stdout.
    const outDir = join(fx.dir, 'claim-out');
    const saved = await run(['claim', '--out', outDir, '--json']);
    expect(saved.code).toBe(0);
    const certificateFile = saved.json.certificateFile as string;
    const privateKeyFile = saved.json.privateKeyFile as string;
    expect(certificateFile).toMatch(/[0-9a-f]{10}-certificate\.pem\.crt$/);
    expect(privateKeyFile).toMatch(/[0-9a-f]{10}-private\.pem\.key$/);
    expect(readFileSync(certificateFile, 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
    expect(readFileSync(privateKeyFile, 'utf8')).toContain('PRIVATE KEY-----');
    for (const f of [certificateFile, privateKeyFile]) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(saved.stdout + saved.stderr).not.toContain('PRIVATE KEY');
    expect((await run(['whoami', '--out', outDir])).code).toBe(2);

    const logout = await run(['logout', '--json']);
    expect(logout.json).toMatchObject({ ok: true, wasLoggedIn: true, revoked: true });
    const after = await run(['whoami', '--json']);
    expect(after.code).toBe(4);
    expect(after.json).toMatchObject({ ok: false, error: { code: 'LOGIN_REQUIRED' } });

    for (const r of [login, who, claim, logout, after]) {
      const all = r.stdout + r.stderr;
      expect(all).not.toContain(tokens.idToken.split('.')[1]!);
      expect(all).not.toContain(tokens.accessToken);
      expect(all).not.toContain(tokens.refreshToken!);
      expect(all).not.toContain('PRIVATE KEY');
    }
  });

  it('refuses the password grant the provider does not offer (exit 4) without echoing the password', async () => {
    const r = await run(['login', '--password-grant', '--username', fx.username], {
      CENTRAL_PASSWORD: 'a-secret-password',
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('LOGIN_FAILED');
    expect(r.stdout + r.stderr).not.toContain('a-secret-password');
  });

  it('exits 3 naming the field of a bad config, and 2 on usage errors', async () => {
    const bad = join(fx.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...fx.emulator.cloudJson, oidc: { clientId: 'x' } }));
    let out = '';
    const r = await runCli(['--config', bad, '--json', 'whoami'], {
      stdout: {
        write: (t: string) => {
          out += t;
        },
      },
      stderr: { write: () => undefined },
      stdin: new PassThrough(),
      env: {},
      openBrowser: () => false,
    });
    expect(r).toBe(3);
    expect(JSON.parse(out)).toMatchObject({
      ok: false,
      error: { code: 'CONFIG_INVALID', message: textContaining(`oidc.issuer in ${bad}`) },
    });
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['login', '--device-grant', '--password-grant'])).code).toBe(2);
  });
});
