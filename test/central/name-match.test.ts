/**
 * The phone picks the device its QR code names from noble's view of the advertisement (name and
 * service data only: noble does not say whether the name was shortened), PROTOCOL.md §3.
 */
import { describe, expect, it } from 'vitest';
import { nameMatches } from '../../ble/central/scanner.js';
import { deviceIdTag } from '../../protocol/advertisement.js';

describe('nameMatches', () => {
  it('tells apart long ids that share the 8 advertised characters by their id tag', () => {
    const one = { name: 'pi-kitch', idTag: deviceIdTag('pi-kitchen-1') };
    expect(nameMatches(one, 'pi-kitchen-1')).toBe(true);
    expect(nameMatches(one, 'pi-kitchen-2')).toBe(false);
    // An 8-character id equal to the other device's shortened name is not fooled either.
    expect(nameMatches(one, 'pi-kitch')).toBe(false);
    expect(nameMatches({ name: 'pi-kitch', idTag: deviceIdTag('pi-kitch') }, 'pi-kitch')).toBe(true);
  });

  it('waits for the scan response (the tag) before matching a name that may be shortened', () => {
    expect(nameMatches({ name: 'pi-kitch' }, 'pi-kitchen-1')).toBe(false);
    expect(nameMatches({ name: 'pi-kitch' }, 'pi-kitch')).toBe(false);
    expect(nameMatches({ name: 'pi-d1' }, 'pi-d1')).toBe(true);
    expect(nameMatches({ name: 'pi-d1' }, 'pi-d10')).toBe(false);
  });

  it('refuses a tag of the wrong length', () => {
    expect(nameMatches({ name: 'pi-d1', idTag: deviceIdTag('pi-d1').subarray(0, 3) }, 'pi-d1')).toBe(false);
  });
});
