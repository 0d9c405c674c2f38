import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AwsCredentialRecord, PolicyDocument } from './contracts/index.js';
import { writeFileAtomic, readAdminCredentials } from './config/index.js';
import type { AdminCredentialsFile } from './config/index.js';

export const ADMIN_CREDENTIALS_FILE = 'admin-credentials.json';

/** Full access, as an account's administrator has: for setup and tests, never for the phone. */
export const ADMIN_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'EmulatorAdministrator', Effect: 'Allow', Action: '*', Resource: '*' }],
};

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The emulator's static admin key pair: created on first start (AKIA… like an IAM user's long-term
 * key), kept in `<dataDir>/admin-credentials.json` (0600) so scripts keep working across restarts.
 */
export function loadOrCreateAdminCredentials(
  dataDir: string,
  accountId: string,
): { path: string; record: AwsCredentialRecord } {
  const path = join(dataDir, ADMIN_CREDENTIALS_FILE);
  let file: AdminCredentialsFile;
  if (existsSync(path)) {
    file = readAdminCredentials(path);
  } else {
    file = {
      accessKeyId: `AKIA${[...randomBytes(16)].map((b) => BASE32[b % 32]).join('')}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      principalArn: `arn:aws:iam::${accountId}:user/emulator-admin`,
    };
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  }
  return { path, record: { ...file, policies: [ADMIN_POLICY] } };
}
