/**
 * Manufacturing step for one device: a fresh setup code, its verifier file (the only thing the
 * device keeps) and the QR label, as files in one directory.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProvisioningError } from '../../protocol/index.js';
import {
  assertDeviceId,
  formatSetupCode,
  generateSetupCode,
  type SetupCode,
  encodeSetupPayload,
  type Transport,
  makeVerifier,
  type SetupVerifier,
} from '../../protocol/session/index.js';
import type { RandomSource } from '../../protocol/session/index.js';
import { writeQrPng, writeQrSvg } from './qr.js';
import { writeVerifierFile } from './verifier-file.js';

export const VERIFIER_FILE_NAME = 'verifier.json';
export const QR_PNG_FILE_NAME = 'setup-qr.png';
export const QR_SVG_FILE_NAME = 'setup-qr.svg';

/** The production randomness: the OS CSPRNG. */
export const systemRandom: RandomSource = (n) => new Uint8Array(nodeRandomBytes(n));

export interface MakeSetupCodeOptions {
  readonly deviceId: string;
  readonly transports: readonly Transport[];
  /** Directory for the verifier file and the QR images (created with mode 0700 if missing). */
  readonly outDir: string;
  readonly iterations?: number;
  readonly png?: boolean;
  readonly svg?: boolean;
  /** Replace an existing verifier (the old label stops working). */
  readonly force?: boolean;
  readonly random?: RandomSource;
}

export interface MadeSetupCode {
  readonly code: SetupCode;
  /** `XXXX-XXXX-XXX`, for the printed label. */
  readonly formatted: string;
  /** The QR payload URI. */
  readonly payload: string;
  readonly verifier: SetupVerifier;
  readonly verifierPath: string;
  readonly pngPath: string | undefined;
  readonly svgPath: string | undefined;
}

export async function makeSetupCode(o: MakeSetupCodeOptions): Promise<MadeSetupCode> {
  assertDeviceId(o.deviceId, 'CONFIG_INVALID');
  const random = o.random ?? systemRandom;
  const verifierPath = join(o.outDir, VERIFIER_FILE_NAME);
  if (existsSync(verifierPath) && !o.force) {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `${verifierPath} exists: pass --force to replace it (the old setup code stops working)`,
    });
  }
  const code = generateSetupCode(random);
  const payload = encodeSetupPayload({ deviceId: o.deviceId, setupCode: code, transports: o.transports });
  const verifier = makeVerifier({
    deviceId: o.deviceId,
    code,
    random,
    ...(o.iterations === undefined ? {} : { iterations: o.iterations }),
  });
  mkdirSync(o.outDir, { recursive: true, mode: 0o700 });
  const pngPath = o.png ? join(o.outDir, QR_PNG_FILE_NAME) : undefined;
  const svgPath = o.svg ? join(o.outDir, QR_SVG_FILE_NAME) : undefined;
  // Labels first, verifier last: a crash in between leaves the old verifier (and its label) valid.
  if (pngPath) await writeQrPng(pngPath, payload);
  if (svgPath) await writeQrSvg(svgPath, payload);
  writeVerifierFile(verifierPath, verifier);
  return { code, formatted: formatSetupCode(code), payload, verifier, verifierPath, pngPath, svgPath };
}
