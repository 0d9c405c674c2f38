/**
 * Starts the SoftAP HTTP server (softap-fallback/server) with the upload page when the page module
 * (softap-fallback/web/build.ts) is present; without it the API still serves (the central's
 * `--transport softap` needs no page) and `/` answers what the server answers without a page.
 */
import type { AttemptLimiter, RandomSource, SetupVerifier } from '../../../protocol/session/index.js';
import type { ProvisioningAgent } from '../../../peripheral/agent/index.js';
import type { Timers, Clock } from '../../../protocol/index.js';
import { startSoftApServer } from '../../../softap-fallback/server/index.js';
import type { PageAssets, SoftApServer } from '../../../softap-fallback/server/index.js';

export interface HttpServerDeps {
  agent: ProvisioningAgent;
  deviceId: string;
  verifier: SetupVerifier;
  attempts: AttemptLimiter;
  /** The info bytes as BLE serves them now (state included). */
  info: () => Uint8Array;
  random: RandomSource;
  now: Clock;
  timers: Timers;
  listen: { host: string; port: number };
  claimDefaults?: { host: string; port: number; templateName: string };
  log: (line: string) => void;
}

/** Where the page builder lives; a variable so that its absence is a runtime matter, not a build error. */
const PAGE_MODULE = '../../../softap-fallback/web/index.js';

let pageOnce: Promise<PageAssets | undefined> | undefined;

/** The page assets, built once per process; undefined when the page module is not there. */
export function loadPage(log: (line: string) => void): Promise<PageAssets | undefined> {
  pageOnce ??= (async () => {
    let mod: { buildPage?: () => Promise<PageAssets> };
    try {
      mod = (await import(PAGE_MODULE)) as typeof mod;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        log('softap: the upload page is not part of this build (softap-fallback/web missing): serving the API only');
        return undefined;
      }
      throw err;
    }
    if (typeof mod.buildPage !== 'function') {
      log('softap: softap-fallback/web/build has no buildPage(): serving the API only');
      return undefined;
    }
    try {
      return await mod.buildPage();
    } catch (err) {
      log(`softap: building the upload page failed (${(err as Error).message}): serving the API only`);
      return undefined;
    }
  })();
  return pageOnce;
}

export async function startProvisioningHttpServer(deps: HttpServerDeps): Promise<SoftApServer> {
  const page = await loadPage(deps.log);
  return startSoftApServer({
    agent: deps.agent,
    deviceId: deps.deviceId,
    verifier: deps.verifier,
    attempts: deps.attempts,
    info: deps.info,
    random: deps.random,
    now: deps.now,
    timers: deps.timers,
    listen: deps.listen,
    ...(deps.claimDefaults ? { claimDefaults: deps.claimDefaults } : {}),
    ...(page !== undefined ? { page } : {}),
    log: deps.log,
  });
}
