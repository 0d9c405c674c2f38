import type { Client } from 'aedes';
import { describe, expect, it } from 'vitest';
import { ConnectionTable } from './connections.js';

/** Enough of an aedes client for the table: its id, its stream and a close that counts. */
function client(id: string): Client & { closes: number } {
  const c = { id, conn: {}, closes: 0, close: () => void c.closes++ };
  return c as unknown as Client & { closes: number };
}

describe('ConnectionTable: clients by client id', () => {
  it('finds the other live clients of an id, not the asking one, nor clients gone', () => {
    const table = new ConnectionTable();
    const [a1, a2, b] = [client('a'), client('a'), client('b')];
    for (const c of [a1, a2, b]) {
      table.open(c.conn, `cert-${c.id}`);
      table.ready(c);
    }
    const a3 = client('a'); // connecting: not ready yet
    expect(table.sameClientId(a3)).toEqual([a1, a2]);
    expect(table.sameClientId(a1)).toEqual([a2]);
    expect(table.sameClientId(b)).toEqual([]);
    table.gone(a1);
    expect(table.sameClientId(a3)).toEqual([a2]);
    table.gone(a1); // a second disconnect of the same client changes nothing
    expect(table.connected).toBe(2);
  });

  it('forgets the clients it closes', () => {
    const table = new ConnectionTable();
    const [a, b] = [client('a'), client('b')];
    table.open(a.conn, 'cert-1');
    table.open(b.conn, 'cert-2');
    table.ready(a);
    table.ready(b);
    expect(table.closeWhere((conn) => conn?.certificateId === 'cert-1', 0x98)).toBe(1);
    expect(a.closes).toBe(1);
    expect(table.sameClientId(client('a'))).toEqual([]);
    expect(table.sameClientId(client('b'))).toEqual([b]);
    expect([...table.certificateIds()]).toEqual(['cert-2']);
  });
});
