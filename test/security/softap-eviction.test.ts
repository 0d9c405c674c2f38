/**
 * Issue #14 part 5: a flood of new SoftAP connections must not cut a phone's handshake. Before:
 * a full server evicted the oldest connection without a session, handshakes included (5 of 35
 * legitimate handshakes lost under 1,000 new connections). Now a connection in its handshake (or
 * in a session) keeps its slot; the newcomers take each other's, or get 503 DEVICE_BUSY when every
 * slot is protected. Real HTTP, real SPAKE2+ handshake frames, injected clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageLink } from '../../protocol/link.js';
import { SessionInitiator } from '../../protocol/session/index.js';
import type { CreatedConnection, NotificationBatch } from '../../softap-fallback/client/api.js';
import { fromBase64Url } from '../../softap-fallback/client/base64url.js';
import { HANDSHAKE_HOLD_MS } from '../../softap-fallback/server/index.js';
import { CLIENT, raw, random, startSoftApFixture } from '../softap-server/fixture.js';
import type { SoftApFixture } from '../softap-server/fixture.js';

const fixtures: SoftApFixture[] = [];
afterEach(async () => {
  for (const fx of fixtures.splice(0)) await fx.close();
});

const FRAME = { ...CLIENT, 'Content-Type': 'application/octet-stream' };

/** A phone speaking the handshake frame by frame over the HTTP API, from one address. */
class Phone {
  private readonly link: MessageLink;
  private readonly initiator: SessionInitiator;
  private after = 0;
  state = 'idle';

  private constructor(
    private readonly fx: SoftApFixture,
    readonly conn: CreatedConnection,
    info: Uint8Array,
    readonly from: string,
  ) {
    this.link = new MessageLink({ characteristic: 'session', attPayload: conn.attPayload, now: Date.now });
    this.initiator = new SessionInitiator({ setupCode: fx.setupCode, deviceId: fx.deviceId, info, random });
  }

  static async open(fx: SoftApFixture, from: string): Promise<Phone> {
    const created = await raw(fx.server, 'POST', '/api/v1/connections', CLIENT, undefined, from);
    expect(created.status).toBe(201);
    const conn = created.json() as CreatedConnection;
    const info = (await raw(fx.server, 'GET', `/api/v1/connections/${conn.id}/info`, {}, undefined, from)).body;
    return new Phone(fx, conn, new Uint8Array(info), from);
  }

  /** Sends the hello and reads the device's answer (the handshake is then in progress on the device). */
  async hello(): Promise<void> {
    await this.send(this.initiator.start());
  }

  /** Runs the rest of the handshake. */
  async finish(): Promise<void> {
    for (let round = 0; round < 4 && this.state !== 'established' && this.state !== 'failed'; round++) {
      const reply = this.pending;
      this.pending = undefined;
      if (!reply) break;
      await this.send(reply);
    }
  }

  private pending: Uint8Array | undefined;

  private async send(message: Uint8Array): Promise<void> {
    for (const frame of this.link.sendBytes(message)) {
      const r = await raw(
        this.fx.server,
        'POST',
        `/api/v1/connections/${this.conn.id}/frames/session`,
        FRAME,
        frame,
        this.from,
      );
      expect(r.status).toBe(204);
    }
    for (;;) {
      const n = await raw(
        this.fx.server,
        'GET',
        `/api/v1/connections/${this.conn.id}/notifications?after=${this.after}`,
        {},
        undefined,
        this.from,
      );
      expect(n.status).toBe(200);
      const batch = n.json() as NotificationBatch;
      this.after = batch.next;
      for (const item of batch.items.filter((i) => i.channel === 'session')) {
        const bytes = this.link.receiveBytes(fromBase64Url(item.frame));
        if (!bytes) continue;
        const result = this.initiator.receive(bytes);
        this.state = result.status;
        this.pending = result.reply;
        return;
      }
      if (batch.closed) throw new Error(`connection closed: ${batch.closed.code}`);
    }
  }

  async alive(): Promise<boolean> {
    return (
      (await raw(this.fx.server, 'GET', `/api/v1/connections/${this.conn.id}/info`, {}, undefined, this.from))
        .status === 200
    );
  }
}

describe('SoftAP: no eviction mid-handshake (issue #14)', () => {
  it("keeps a phone's handshake through a flood of new connections from other addresses", async () => {
    let now = 1_000_000;
    const fx = await startSoftApFixture({ deviceId: 'pi-evict', now: () => now, limits: { maxConnections: 4 } });
    fixtures.push(fx);
    const phone = await Phone.open(fx, '127.0.0.1');
    await phone.hello();
    expect(phone.state).toBe('continue');
    // 40 new connections from 4 other addresses (each within its connection rate limit).
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      now += 10;
      statuses.push(
        (await raw(fx.server, 'POST', '/api/v1/connections', CLIENT, undefined, `127.0.0.${2 + (i % 4)}`)).status,
      );
    }
    // The newcomers took each other's slots, never the handshake's.
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect(fx.server.connections()).toBe(4);
    expect(await phone.alive()).toBe(true);
    await phone.finish();
    expect(phone.state).toBe('established');
    await raw(fx.server, 'DELETE', `/api/v1/connections/${phone.conn.id}`, CLIENT, undefined, phone.from);
  });

  it('answers 503 DEVICE_BUSY when every slot is in a handshake, until the handshake hold runs out', async () => {
    let now = 2_000_000;
    const fx = await startSoftApFixture({ deviceId: 'pi-held', now: () => now, limits: { maxConnections: 2 } });
    fixtures.push(fx);
    const phones = [await Phone.open(fx, '127.0.0.1'), await Phone.open(fx, '127.0.0.2')];
    for (const p of phones) await p.hello();
    const refused = await raw(fx.server, 'POST', '/api/v1/connections', CLIENT, undefined, '127.0.0.3');
    expect(refused.status).toBe(503);
    expect((refused.json() as { error: { code: string } }).error.code).toBe('DEVICE_BUSY');
    expect(refused.headers['retry-after']).toBeDefined();
    for (const p of phones) expect(await p.alive()).toBe(true);
    // A handshake stalled past the hold no longer keeps its slot.
    now += HANDSHAKE_HOLD_MS;
    expect((await raw(fx.server, 'POST', '/api/v1/connections', CLIENT, undefined, '127.0.0.3')).status).toBe(201);
    expect((await Promise.all(phones.map((p) => p.alive()))).filter(Boolean)).toHaveLength(1);
  });
});
