/**
 * Claim checks done before any network traffic: a claim whose certificate is past notAfter, or past
 * the expiresAt CreateProvisioningClaim reported, is refused with CLAIM_EXPIRED so that the phone
 * fetches a new one instead of the device burning a connection attempt on it.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { ProvisioningError } from '../../protocol/index.js';

/** A claim closer than this to expiry is treated as expired: the routine could not finish with it (ms). */
export const CLAIM_EXPIRY_MARGIN_MS = 5_000;

export interface Claim {
  certificatePem: string;
  privateKeyPem: string;
  /** CreateProvisioningClaim's expiration. */
  expiresAt: Date;
}

export interface ClaimValidity {
  notBefore: Date;
  /** The earlier of the certificate's notAfter and the claim's expiresAt. */
  deadline: Date;
}

/** Parses the claim (never echoing key material) and returns the instant it stops being usable. */
export function claimValidity(claim: Claim): ClaimValidity {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(claim.certificatePem);
  } catch (err) {
    throw new ProvisioningError('CLAIM_INVALID', {
      detail: 'the claim certificate is not a PEM X.509 certificate',
      cause: err,
    });
  }
  try {
    const key = createPrivateKey(claim.privateKeyPem);
    if (!cert.checkPrivateKey(key)) throw new Error('mismatch');
  } catch {
    // No cause: the key's parse error could quote key material.
    throw new ProvisioningError('CLAIM_INVALID', {
      detail: 'the claim private key is unreadable or does not match the certificate',
    });
  }
  if (!(claim.expiresAt instanceof Date) || Number.isNaN(claim.expiresAt.getTime())) {
    throw new ProvisioningError('CLAIM_INVALID', { detail: 'the claim has no valid expiresAt' });
  }
  const notAfter = new Date(cert.validTo);
  return { notBefore: new Date(cert.validFrom), deadline: notAfter < claim.expiresAt ? notAfter : claim.expiresAt };
}

/** Throws CLAIM_EXPIRED when the claim cannot be used at `now` (with {@link CLAIM_EXPIRY_MARGIN_MS}). */
export function assertClaimUsable(validity: ClaimValidity, now: Date, marginMs = CLAIM_EXPIRY_MARGIN_MS): void {
  if (now.getTime() + marginMs >= validity.deadline.getTime()) {
    throw new ProvisioningError('CLAIM_EXPIRED', { detail: `expired at ${validity.deadline.toISOString()}` });
  }
  if (now < validity.notBefore) {
    throw new ProvisioningError('CLAIM_INVALID', {
      detail: `not valid before ${validity.notBefore.toISOString()} (check the device clock)`,
    });
  }
}
