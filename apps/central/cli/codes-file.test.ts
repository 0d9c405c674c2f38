import { describe, expect, it } from 'vitest';
import { textContaining } from '../../../test/matchers.js';
import { ProvisioningError } from '../../../protocol/errors.js';
import {
  encodeSetupPayload,
  formatSetupCode,
  generateSetupCode,
  parseSetupCode,
} from '../../../protocol/session/index.js';
import { parseCodesFile } from './codes-file.js';
import { CliUsageError, EXIT, exitCodeFor } from './exit-codes.js';

let seed = 1;
const random = (n: number): Uint8Array =>
  Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) & 0xff));

describe('codes file', () => {
  const a = generateSetupCode(random);
  const b = generateSetupCode(random);

  it('reads QR payloads and DEVICE-ID CODE lines, skipping blanks and comments', () => {
    const text = `# kitchen batch\n\n${encodeSetupPayload({ deviceId: 'pi-1', setupCode: a, transports: ['ble'] })}\npi-2   ${formatSetupCode(b)}\n`;
    expect(parseCodesFile(text, 'codes.txt')).toEqual([
      { deviceId: 'pi-1', setupCode: a },
      { deviceId: 'pi-2', setupCode: parseSetupCode(formatSetupCode(b)) },
    ]);
  });

  it('names the line of a bad entry without printing the code', () => {
    const bad = `pi-1 ${a}\npi-2 not-a-code!\n`;
    let error: unknown;
    try {
      parseCodesFile(bad, 'codes.txt');
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: textContaining('codes.txt line 2: SESSION_SETUP_CODE_INVALID'),
    });
    expect((error as Error).message).not.toContain('not-a-code');
    expect(() => parseCodesFile(`pi-1 ${a}\npi-1 ${b}\n`, 'c')).toThrow(
      expect.objectContaining({ message: textContaining('line 2: device pi-1 is listed twice') }),
    );
    expect(() => parseCodesFile('# nothing\n', 'c')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('exit codes', () => {
  it.each([
    [new CliUsageError('x'), EXIT.usage],
    [new ProvisioningError('CONFIG_INVALID'), EXIT.config],
    [new ProvisioningError('LOGIN_REQUIRED'), EXIT.login],
    [new ProvisioningError('CLAIM_DENIED'), EXIT.cloud],
    [new ProvisioningError('SESSION_AUTH_FAILED'), EXIT.session],
    [new ProvisioningError('WIFI_AUTH_FAILED'), EXIT.wifi],
    [new ProvisioningError('DEVICE_NOT_FOUND'), EXIT.device],
    [new ProvisioningError('FRAME_INTEGRITY'), EXIT.protocol],
    [new ProvisioningError('INTERNAL'), EXIT.internal],
    [new Error('bug'), EXIT.internal],
  ])('%s exits %i', (err, code) => {
    expect(exitCodeFor(err)).toBe(code);
  });
});
