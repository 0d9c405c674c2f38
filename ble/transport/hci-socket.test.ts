/** The bluetooth-hci-socket stand-in against a scripted controller on a real unix socket. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { H4Framer } from '../h4/framer.js';
import { h4Command, h4Event } from '../h4/packets.js';
import { H4HciSocket } from './hci-socket.js';

const RESET = Buffer.from('01030c00', 'hex');
const complete = (op: number, ncmd = 1, ret: number[] = []): Buffer =>
  h4Event(0x0e, Buffer.from([ncmd, op & 0xff, op >> 8, 0, ...ret]));

let dir: string;
let server: Server;
let peer: Promise<Socket>;
let received: Buffer[];

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

function socketUnderTest(): H4HciSocket {
  return new H4HciSocket({ kind: 'unix', path: join(dir, 'ctrl.sock'), air: false }, () => {
    throw new Error('no air in this test');
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hci-socket-'));
  received = [];
  server = createServer();
  peer = new Promise((resolve) =>
    server.once('connection', (s) => {
      const framer = new H4Framer((p) => received.push(p));
      s.on('data', (c) => framer.push(c));
      resolve(s);
    }),
  );
  await new Promise<void>((r) => server.listen(join(dir, 'ctrl.sock'), r));
});

afterEach(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe('H4HciSocket', () => {
  it('resets the controller itself, swallows that Command Complete, then sends host commands one credit at a time', async () => {
    const s = socketUnderTest();
    const data: Buffer[] = [];
    s.on('data', (p: Buffer) => data.push(p));
    expect(s.bindRaw(undefined)).toBe(0);
    expect(s.isDevUp()).toBe(true); // raw mode: up at once, host writes wait for the reset
    s.start();
    s.write(h4Command(0x0c01, Buffer.alloc(8)));
    s.write(h4Command(0x1009));
    const ctrl = await peer;
    await until(() => received.length === 1);
    expect(received[0]).toEqual(RESET);
    ctrl.write(complete(0x0c03));
    await until(() => received.length === 2);
    expect(received[1]!.readUInt16LE(1)).toBe(0x0c01);
    await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(2); // no credit for the second command yet
    ctrl.write(complete(0x0c01));
    await until(() => received.length === 3);
    expect(received[2]!.readUInt16LE(1)).toBe(0x1009);
    expect(data.map((p) => p.readUInt16LE(4))).toEqual([0x0c01]); // the Reset CC never reached the host
    s.close();
  });

  it('hands the host one whole packet per data event however the bytes arrive', async () => {
    const s = socketUnderTest();
    const data: Buffer[] = [];
    s.on('data', (p: Buffer) => data.push(p));
    s.bindRaw(0);
    const ctrl = await peer;
    await until(() => received.length === 1);
    const stream = Buffer.concat([
      complete(0x0c03),
      complete(0x1009, 1, [1, 2, 3, 4, 5, 6]),
      h4Event(0x3e, Buffer.alloc(19)),
    ]);
    for (let i = 0; i < stream.length; i += 3) {
      ctrl.write(stream.subarray(i, i + 3));
      await new Promise((r) => setTimeout(r, 1));
    }
    await until(() => data.length === 2);
    expect(data).toEqual([complete(0x1009, 1, [1, 2, 3, 4, 5, 6]), h4Event(0x3e, Buffer.alloc(19))]);
    s.close();
  });

  it('when the controller goes away: open connections end with 0x08 and the device is down', async () => {
    const s = socketUnderTest();
    const data: Buffer[] = [];
    s.on('data', (p: Buffer) => data.push(p));
    const errors: Error[] = [];
    s.on('error', (e: Error) => errors.push(e));
    s.bindRaw(0);
    const ctrl = await peer;
    await until(() => received.length === 1);
    const connComplete = Buffer.alloc(19);
    connComplete[0] = 0x01;
    connComplete.writeUInt16LE(0x41, 2);
    ctrl.write(Buffer.concat([complete(0x0c03), h4Event(0x3e, connComplete)]));
    await until(() => data.length === 1);
    ctrl.end(Buffer.from([0x04, 0x0e, 0x04])); // half an event, then gone
    await until(() => !s.isDevUp());
    expect(data[1]).toEqual(h4Event(0x05, Buffer.from([0, 0x41, 0x00, 0x08])));
    expect(data).toHaveLength(2);
    expect(errors.map((e) => e.message)).toEqual(['controller closed mid-packet (3 bytes pending)']);
    s.write(h4Command(0x0c01)); // ignored, no throw
  });

  it('reports an unreachable controller as a failed link: error ENOENT, device down', async () => {
    const s = new H4HciSocket({ kind: 'unix', path: join(dir, 'nobody.sock'), air: false }, () => {
      throw new Error('unused');
    });
    const error = new Promise<NodeJS.ErrnoException>((resolve) => s.on('error', resolve));
    s.bindRaw(0);
    expect((await error).code).toBe('ENOENT');
    expect(s.isDevUp()).toBe(false);
  });

  it('keeps the mgmt (control) socket inert', () => {
    const s = socketUnderTest();
    expect(s.bindControl()).toBe(0);
    s.start();
    s.write(Buffer.from([0x13, 0x00]));
    expect(s.isDevUp()).toBe(false);
  });

  it('probes the controller with Read Local Version and keeps that answer from the host', async () => {
    const s = socketUnderTest();
    const data: Buffer[] = [];
    s.on('data', (p: Buffer) => data.push(p));
    s.bindRaw(0);
    const ctrl = await peer;
    await until(() => received.length === 1);
    ctrl.write(complete(0x0c03));
    await until(() => s.attached);
    s.write(h4Command(0x1001)); // the host's own Read Local Version
    const probed = s.probe();
    await until(() => received.length === 2);
    ctrl.write(complete(0x1001, 1, [9, 0, 0, 9, 0, 0, 0, 0]));
    await until(() => received.length === 3);
    expect(received[2]!.readUInt16LE(1)).toBe(0x1001);
    ctrl.write(complete(0x1001, 1, [9, 0, 0, 9, 0, 0, 0, 0]));
    await probed;
    expect(data).toHaveLength(1); // the host got its answer, not the probe's
    const unanswered = s.probe();
    await until(() => received.length === 4);
    ctrl.destroy();
    await expect(unanswered).rejects.toThrow();
  });

  it('re-attaches after the controller went away: down, then up once the new link answered its Reset', async () => {
    const s = socketUnderTest();
    const changes: boolean[] = [];
    s.onLinkChange((attached) => changes.push(attached));
    s.bindRaw(0);
    const first = await peer;
    await until(() => received.length === 1);
    first.write(complete(0x0c03));
    await until(() => s.attached);
    first.destroy();
    await until(() => !s.isDevUp());
    expect(changes).toEqual([true, false]);
    const second = new Promise<Socket>((resolve) =>
      server.once('connection', (c) => {
        const framer = new H4Framer((p) => received.push(p));
        c.on('data', (chunk) => framer.push(chunk));
        resolve(c);
      }),
    );
    s.reattach();
    const ctrl = await second;
    await until(() => received.length === 2);
    expect(received[1]).toEqual(RESET);
    expect(s.isDevUp()).toBe(false); // not before the controller answered
    ctrl.write(complete(0x0c03));
    await until(() => s.isDevUp());
    expect(changes).toEqual([true, false, true]);
    s.detach(new Error('no answer'));
    expect(s.isDevUp()).toBe(false);
    expect(changes).toEqual([true, false, true, false]);
  });

  it('a re-attach to a controller that is not there fails as a link change, not an error', async () => {
    const s = new H4HciSocket({ kind: 'unix', path: join(dir, 'nobody.sock'), air: false }, () => {
      throw new Error('unused');
    });
    s.on('error', () => undefined);
    const changes: boolean[] = [];
    s.onLinkChange((attached) => changes.push(attached));
    s.bindRaw(0);
    await until(() => changes.length === 1);
    s.reattach();
    await until(() => changes.length === 2);
    expect(changes).toEqual([false, false]);
    expect(s.attached).toBe(false);
  });
});
