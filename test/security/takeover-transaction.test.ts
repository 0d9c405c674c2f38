/**
 * The emulator's half of "concurrent RegisterThing for one serial: exactly one wins": even when
 * every request passes the pre-provisioning hook (a hook that answers only once all of them have
 * asked, i.e. the race AWS leaves open between the hook and applying the template), RegisterThing's
 * SQLite transaction attaches exactly one ACTIVE certificate to the thing; the others get
 * ACCESS_DENIED and keep nothing.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr, request, startIotFixture, TEMPLATE_NAME } from '../cloud-iot/fixture.js';
import type { IotFixture } from '../cloud-iot/fixture.js';

const HOOK_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:barrier';
const RACERS = 3;

let fx: IotFixture;
let arrived = 0;
let release: () => void = () => undefined;
const allArrived = new Promise<void>((r) => {
  release = r;
});

beforeAll(async () => {
  fx = await startIotFixture({
    hook: { targetArn: HOOK_ARN },
    broker: {
      hooks: {
        targets: {
          [HOOK_ARN]: async () => {
            if (++arrived === RACERS) release();
            await allArrived;
            return { allowProvisioning: true };
          },
        },
      },
    },
  });
});

afterAll(async () => {
  await fx?.close();
});

describe('RegisterThing transaction (issue #14)', () => {
  it('of concurrent registrations of one serial that all passed the hook, exactly one attaches an ACTIVE certificate', async () => {
    const claim = await fx.newClaim();
    const conns: MqttClient[] = await Promise.all(
      Array.from({ length: RACERS }, (_, i) => fx.connect(claim, { clientId: `racer-${i}` })),
    );
    const certs = await Promise.all(
      conns.map(async (c) => {
        const { csrPem } = await makeCsr('ec');
        const r = await request(
          c,
          '$aws/certificates/create-from-csr/json',
          JSON.stringify({ certificateSigningRequest: csrPem }),
        );
        return JSON.parse(r.payload.toString()) as { certificateId: string; certificateOwnershipToken: string };
      }),
    );
    const results = await Promise.all(
      conns.map(async (c, i) => {
        const r = await request(
          c,
          `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`,
          JSON.stringify({
            certificateOwnershipToken: certs[i]!.certificateOwnershipToken,
            parameters: { SerialNumber: 'race' },
          }),
        );
        return { outcome: r.outcome, body: JSON.parse(r.payload.toString()) as Record<string, unknown> };
      }),
    );
    expect(arrived).toBe(RACERS);
    expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(1);
    for (const r of results.filter((x) => x.outcome === 'rejected'))
      expect(r.body).toMatchObject({ statusCode: 403, errorCode: 'ACCESS_DENIED' });
    const attached = fx.registry.things.listPrincipals('mything_race');
    expect(attached).toHaveLength(1);
    const statuses = certs.map((c) => fx.registry.certificates.get(c.certificateId)?.status);
    expect(statuses.filter((s) => s === 'ACTIVE')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'PENDING_ACTIVATION')).toHaveLength(RACERS - 1);
    expect(attached[0]).toMatch(new RegExp(`cert/${certs[statuses.indexOf('ACTIVE')]!.certificateId}$`));
  }, 60_000);
});
