import { describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../../protocol/errors.js';
import { PROVISIONING_STATE_NAMES } from '../../../protocol/states.js';
import { checkEndpoint, checkWifi, FieldError, formatParameters, parseParameters } from './form.js';
import { errorText, STATE_TEXT } from './texts.js';

const fieldOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof FieldError ? `${err.field}:${err.code}` : 'other';
  }
  return undefined;
};

describe('Wi-Fi input', () => {
  it('takes a scanned WPA network with its password, an open one without, a hidden one by name', () => {
    expect(checkWifi({ ssid: 'home', hidden: false, security: 'wpa2', password: 'correct horse battery' })).toEqual({
      ssid: 'home',
      passphrase: 'correct horse battery',
    });
    expect(checkWifi({ ssid: 'cafe', hidden: false, security: 'open', password: '' })).toEqual({ ssid: 'cafe' });
    expect(checkWifi({ ssid: 'attic', hidden: true, password: 'secret-pass' })).toEqual({
      ssid: 'attic',
      passphrase: 'secret-pass',
      hidden: true,
    });
    expect(
      checkWifi({ ssid: 'a'.repeat(32), hidden: false, security: 'wpa2', password: 'f'.repeat(64) }).passphrase,
    ).toHaveLength(64);
  });

  it('points at the field to fix', () => {
    expect(fieldOf(() => checkWifi({ ssid: '', hidden: false, password: 'x' }))).toBe('network:MESSAGE_INVALID');
    expect(fieldOf(() => checkWifi({ ssid: '', hidden: true, password: '' }))).toBe('hidden-ssid:MESSAGE_INVALID');
    expect(fieldOf(() => checkWifi({ ssid: 'é'.repeat(17), hidden: true, password: '' }))).toBe(
      'hidden-ssid:MESSAGE_INVALID',
    );
    expect(fieldOf(() => checkWifi({ ssid: 'home', hidden: false, security: 'wpa2', password: '' }))).toBe(
      'password:MESSAGE_INVALID',
    );
    expect(fieldOf(() => checkWifi({ ssid: 'home', hidden: false, security: 'wpa2', password: 'short' }))).toBe(
      'password:MESSAGE_INVALID',
    );
    expect(fieldOf(() => checkWifi({ ssid: 'home', hidden: false, security: 'wpa2', password: 'x'.repeat(64) }))).toBe(
      'password:MESSAGE_INVALID',
    );
    expect(fieldOf(() => checkWifi({ ssid: 'cafe', hidden: false, security: 'open', password: 'something' }))).toBe(
      'password:MESSAGE_INVALID',
    );
  });

  it('never repeats the password in an error', () => {
    try {
      checkWifi({ ssid: 'home', hidden: false, security: 'wpa2', password: 'sh0rt' });
    } catch (err) {
      expect((err as Error).message).not.toContain('sh0rt');
    }
  });
});

describe('endpoint input', () => {
  it('takes host, port, template and Name=value parameters', () => {
    expect(
      checkEndpoint({
        host: ' abc-ats.iot.eu-west-1.amazonaws.com ',
        port: '8883',
        templateName: 'TrustedUserProvisioningTemplate',
        parameters: 'DeviceLocation=Kitchen\n\n Floor = 2 ',
      }),
    ).toEqual({
      host: 'abc-ats.iot.eu-west-1.amazonaws.com',
      port: 8883,
      templateName: 'TrustedUserProvisioningTemplate',
      parameters: { DeviceLocation: 'Kitchen', Floor: '2' },
    });
  });

  it('refuses what the codec would refuse, naming the field', () => {
    const ok = { host: 'h.example', port: '443', templateName: 'T', parameters: '' };
    expect(fieldOf(() => checkEndpoint({ ...ok, host: 'http://h.example' }))).toBe('host:MESSAGE_INVALID');
    expect(fieldOf(() => checkEndpoint({ ...ok, host: '' }))).toBe('host:MESSAGE_INVALID');
    expect(fieldOf(() => checkEndpoint({ ...ok, port: '0' }))).toBe('port:MESSAGE_INVALID');
    expect(fieldOf(() => checkEndpoint({ ...ok, port: '70000' }))).toBe('port:MESSAGE_INVALID');
    expect(fieldOf(() => checkEndpoint({ ...ok, port: '8883x' }))).toBe('port:MESSAGE_INVALID');
    expect(fieldOf(() => checkEndpoint({ ...ok, templateName: 'a b' }))).toBe('template:MESSAGE_INVALID');
    expect(fieldOf(() => checkEndpoint({ ...ok, templateName: 'x'.repeat(37) }))).toBe('template:MESSAGE_INVALID');
    expect(fieldOf(() => parseParameters('novalue'))).toBe('parameters:MESSAGE_INVALID');
    expect(fieldOf(() => parseParameters('A=1\nA=2'))).toBe('parameters:MESSAGE_INVALID');
    expect(fieldOf(() => parseParameters(Array.from({ length: 17 }, (_, i) => `P${i}=v`).join('\n')))).toBe(
      'parameters:MESSAGE_INVALID',
    );
    expect(fieldOf(() => parseParameters(`A=${'v'.repeat(129)}`))).toBe('parameters:MESSAGE_INVALID');
  });

  it('shows defaults back as Name=value lines', () => {
    expect(parseParameters(formatParameters({ DeviceLocation: 'Kitchen', Floor: '2' }))).toEqual({
      DeviceLocation: 'Kitchen',
      Floor: '2',
    });
  });
});

describe('texts', () => {
  it('has words for every state and advice that names the code for every error', () => {
    for (const s of PROVISIONING_STATE_NAMES) expect(STATE_TEXT[s]).toBeTruthy();
    for (const code of Object.keys(ERROR_TABLE)) {
      const t = errorText(code, 'detail');
      expect(t.code).toBe(code);
      expect(t.message).toContain('detail');
      expect(t.advice.length).toBeGreaterThan(10);
    }
    expect(errorText('SESSION_AUTH_FAILED').advice).toContain('setup code');
    expect(errorText('NEWER_CODE').code).toBe('NEWER_CODE');
  });
});
