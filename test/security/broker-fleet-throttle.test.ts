/**
 * Attacks (issues #14, #16) on the fleet-provisioning API: 300 CreateKeysAndCertificate from one
 * claim in 4 s were all served (48.6 s of broker CPU); replies went at QoS 0 to QoS 1 subscribers.
 * A claim gets 10 requests per second per operation (AWS IoT Core quotas, fleet provisioning);
 * more are answered on /rejected with statusCode 429 "Throttling". Replies go at the lower of the
 * request's and the subscription's QoS. The broker's rate clock is driven by hand: no timing involved.
 */
import type { IPublishPacket } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_API_REQUESTS_PER_SECOND } from '../../cloud/emulator/broker/index.js';
import { startIotFixture } from '../cloud-iot/fixture.js';
import type { IotFixture } from '../cloud-iot/fixture.js';

const TOPIC = '$aws/certificates/create-from-csr/json';

describe('fleet-provisioning API throttle and reply QoS', () => {
  let fx: IotFixture;
  let rateNow = 0;
  beforeAll(async () => {
    fx = await startIotFixture({ broker: { log: () => undefined, rateClock: () => rateNow } });
  });
  afterAll(async () => fx.close());

  it(`serves ${FLEET_API_REQUESTS_PER_SECOND} requests per second per claim and answers the rest 429 Throttling`, async () => {
    const claim = await fx.newClaim();
    const c = await fx.connect(claim, { clientId: 'claim-flood' });
    await c.subscribeAsync([`${TOPIC}/accepted`, `${TOPIC}/rejected`], { qos: 1 });
    const burst = FLEET_API_REQUESTS_PER_SECOND + 5;
    const replies: Array<{ errorCode: string; statusCode: number }> = [];
    const waiters = new Map<number, () => void>();
    const repliesReach = (n: number): Promise<void> => new Promise((resolve) => waiters.set(n, resolve));
    c.on('message', (_t, p: Buffer) => {
      replies.push(JSON.parse(p.toString()) as { errorCode: string; statusCode: number });
      waiters.get(replies.length)?.();
    });
    const burstAnswered = repliesReach(burst);
    const all = repliesReach(burst + 1);
    // A garbage CSR makes each served request cheap: served ones answer InvalidCsr.
    for (let i = 0; i < burst; i++)
      c.publish(TOPIC, JSON.stringify({ certificateSigningRequest: 'garbage' }), { qos: 1 });
    // Another claim is not throttled by this one.
    const other = await fx.connect(await fx.newClaim(), { clientId: 'claim-quiet' });
    await other.subscribeAsync(`${TOPIC}/rejected`, { qos: 1 });
    const otherReply = new Promise<string>((resolve) =>
      other.once('message', (_t, p: Buffer) => resolve((JSON.parse(p.toString()) as { errorCode: string }).errorCode)),
    );
    other.publish(TOPIC, JSON.stringify({ certificateSigningRequest: 'garbage' }), { qos: 1 });
    expect(await otherReply).toBe('InvalidCsr');
    // One second later the claim has a full budget again.
    await burstAnswered;
    rateNow += 1000;
    c.publish(TOPIC, JSON.stringify({ certificateSigningRequest: 'garbage' }), { qos: 1 });
    await all;
    const throttled = replies.filter((r) => r.errorCode === 'Throttling');
    expect(throttled.length).toBe(burst - FLEET_API_REQUESTS_PER_SECOND);
    expect(throttled[0]).toEqual({ statusCode: 429, errorCode: 'Throttling', errorMessage: 'Rate exceeded.' });
    expect(replies.filter((r) => r.errorCode === 'InvalidCsr').length).toBe(FLEET_API_REQUESTS_PER_SECOND + 1);
    expect(replies.at(-1)?.errorCode).toBe('InvalidCsr');
    c.end();
    other.end();
  });

  it('replies at min(request QoS, subscription QoS)', async () => {
    const c = await fx.connect(await fx.newClaim(), { clientId: 'claim-qos' });
    await c.subscribeAsync(`${TOPIC}/rejected`, { qos: 1 });
    const qosOf = (requestQos: 0 | 1): Promise<number> =>
      new Promise((resolve) => {
        c.once('message', (_t, _p, packet: IPublishPacket) => resolve(packet.qos));
        c.publish(TOPIC, JSON.stringify({ certificateSigningRequest: 'garbage' }), { qos: requestQos });
      });
    expect(await qosOf(1)).toBe(1);
    expect(await qosOf(0)).toBe(0);
    await c.subscribeAsync(`${TOPIC}/rejected`, { qos: 0 });
    expect(await qosOf(1)).toBe(0);
    c.end();
  });
});
