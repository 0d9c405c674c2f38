import { X509Certificate, createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_MIN_REMAINING_MS, CloudSession } from '../../central/cloud/cloud-session.js';
import { federate } from '../../central/cloud/federation.js';
import type { Auth } from '../../central/auth/auth.js';
import { signInThroughPages, startCentralFixture } from './fixture.js';
import type { CentralFixture } from './fixture.js';

/** Flips one character in the middle of the signature: still base64url, no longer valid. */
function tamper(jwt: string): string {
  const [h, p, s] = jwt.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

describe('central federation and claim against the emulator', () => {
  let fx: CentralFixture;
  let auth: Auth;

  beforeAll(async () => {
    fx = await startCentralFixture();
    auth = fx.auth('claim');
    await auth.loginWithBrowser((url) => signInThroughPages(url, fx.username, fx.password));
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('federates the ID token at the identity pool and gets a valid 5-minute claim for the template', async () => {
    const cloud = new CloudSession({ config: fx.config, idToken: () => auth.idToken() });
    const claim = await cloud.claim();
    const cert = new X509Certificate(claim.certificatePem);
    expect(cert.verify(new X509Certificate(fx.emulator.caPem).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(claim.privateKeyPem))).toBe(true);
    expect(claim.certificateId).toMatch(/^[0-9a-f]{64}$/);
    const left = claim.expiresAt.getTime() - Date.now();
    expect(left).toBeGreaterThan(4 * 60_000);
    expect(left).toBeLessThanOrEqual(5 * 60_000);
    const stored = fx.emulator.registry.certificates.get(claim.certificateId);
    expect(stored?.isClaim).toBe(true);
    expect(stored?.templateName).toBe(fx.config.iot.provisioningTemplateName);
  });

  it('reuses a fresh claim and replaces one about to expire before it is handed out', async () => {
    let now = Date.now();
    const cloud = new CloudSession({ config: fx.config, idToken: () => auth.idToken(), now: () => now });
    const first = await cloud.claim();
    expect((await cloud.claim()).certificateId).toBe(first.certificateId);
    // Just enough life left: still used.
    now = first.expiresAt.getTime() - CLAIM_MIN_REMAINING_MS;
    expect(cloud.isFresh(first)).toBe(true);
    expect((await cloud.claim()).certificateId).toBe(first.certificateId);
    // One millisecond less: replaced before use, not after a device fails with it.
    now += 1;
    expect(cloud.isFresh(first)).toBe(false);
    const second = await cloud.claim();
    expect(second.certificateId).not.toBe(first.certificateId);
    expect(cloud.claimsIssued).toBe(2);
  });

  it('shares one request among concurrent callers (a batch)', async () => {
    const cloud = new CloudSession({ config: fx.config, idToken: () => auth.idToken() });
    const claims = await Promise.all([cloud.claim(), cloud.claim(), cloud.claim()]);
    expect(new Set(claims.map((c) => c.certificateId)).size).toBe(1);
    expect(cloud.claimsIssued).toBe(1);
  });

  it('answers LOGIN_REQUIRED for a forged ID token and CLAIM_DENIED for a template the role may not use', async () => {
    const idToken = await auth.idToken();
    await expect(
      federate({
        region: fx.config.region,
        endpoint: fx.config.cognito.endpoint!,
        identityPoolId: fx.config.cognito.identityPoolId,
        providerName: fx.config.cognito.providerName,
        idToken: tamper(idToken),
      }),
    ).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });
    const other = { ...fx.config, iot: { ...fx.config.iot, provisioningTemplateName: 'SomeOtherTemplate' } };
    const cloud = new CloudSession({ config: other, idToken: () => auth.idToken() });
    await expect(cloud.claim()).rejects.toMatchObject({ code: 'CLAIM_DENIED' });
  });

  it('answers CLOUD_UNREACHABLE when the control plane is not there', async () => {
    const gone = { ...fx.config, iot: { ...fx.config.iot, controlPlaneEndpoint: 'http://127.0.0.1:9' } };
    const cloud = new CloudSession({ config: gone, idToken: () => auth.idToken() });
    await expect(cloud.claim()).rejects.toMatchObject({ code: 'CLOUD_UNREACHABLE' });
  });

  it('answers LOGIN_REQUIRED without a login', async () => {
    const cloud = new CloudSession({ config: fx.config, idToken: () => fx.auth('nobody').idToken() });
    await expect(cloud.claim()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });
  });
});
