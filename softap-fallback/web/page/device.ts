/**
 * The page's two conversations with the device, both through the SoftAP fetch link and the same
 * protocol code the CLI uses: a short session to check the setup code and fetch the Wi-Fi scan
 * (then closed at once, so the device is free and no session idles while the person picks files),
 * and `provisionDevice` for the job itself, on a fresh session.
 */
import { DeviceSession, provisionDevice } from '../../../central/engine/index.js';
import type { ProvisionHooks, ProvisionResult, WifiSettings } from '../../../central/engine/index.js';
import { ProvisioningError, IN_PROGRESS_STATES } from '../../../protocol/index.js';
import type { ClaimMessage, ScanNetwork, ProvisioningState } from '../../../protocol/index.js';
import type { RandomSource } from '../../../protocol/session/index.js';
import { connectHttp } from '../../client/index.js';

/** Randomness for the handshake: the browser's CSPRNG. */
export const browserRandom: RandomSource = (length) => crypto.getRandomValues(new Uint8Array(length));

export interface DeviceCheck {
  readonly deviceId: string;
  /** The device's state when the session opened. */
  readonly state: ProvisioningState;
  /** Empty when the device offers no scan. */
  readonly networks: readonly ScanNetwork[];
}

/** Opens a session with `setupCode` (a wrong code fails here, SESSION_AUTH_FAILED), scans, closes. */
export async function checkCodeAndScan(baseUrl: string, setupCode: string): Promise<DeviceCheck> {
  const link = await connectHttp(baseUrl);
  try {
    const session = new DeviceSession(link, { now: Date.now, random: browserRandom });
    const info = await session.readInfo();
    await session.handshake(setupCode, info.deviceId);
    // A provisioned device, or one running a job (a reloaded page), takes no scan.
    if (info.state === 'provisioned' || IN_PROGRESS_STATES.includes(info.state))
      return { deviceId: info.deviceId, state: info.state, networks: [] };
    const networks = info.features.includes('wifiScan') ? (await session.scan()).networks : [];
    return { deviceId: info.deviceId, state: info.state, networks };
  } finally {
    // Fails only when the device already ended the connection; the check's own outcome is what the page shows.
    await link.close().catch(() => undefined);
  }
}

export interface ProvisionRequest {
  readonly deviceId: string;
  readonly setupCode: string;
  readonly wifi: WifiSettings;
  readonly claim: ClaimMessage;
}

/** The job, over a fresh link (reconnecting after a drop, as provisionDevice does). */
export function provision(baseUrl: string, request: ProvisionRequest, hooks: ProvisionHooks): Promise<ProvisionResult> {
  return provisionDevice(
    {
      deviceId: request.deviceId,
      setupCode: request.setupCode,
      wifi: request.wifi,
      claim: () => {
        // A retry after a dropped link may come late: never send a claim that has run out.
        if (request.claim.expiresAt * 1000 <= Date.now())
          return Promise.reject(
            new ProvisioningError('CLAIM_EXPIRED', { detail: 'the claim ran out while connecting: fetch a new one' }),
          );
        return Promise.resolve(request.claim);
      },
    },
    { connect: () => connectHttp(baseUrl), random: browserRandom, hooks },
  );
}
