import { CliUsageError, EXIT_USAGE, isProvisioningError } from '../../../protocol/index.js';

/**
 * Exit codes of `central` (documented in central/README.md). They follow the error's code or
 * category, so scripts can react without parsing text.
 */
export const EXIT = {
  ok: 0,
  /** An unexpected failure (a bug): the message says what. */
  internal: 1,
  /** Wrong command-line arguments. */
  usage: EXIT_USAGE,
  /** The configuration file is missing or invalid (CONFIG_INVALID). */
  config: 3,
  /** Not logged in, the login expired or the provider refused it (LOGIN_REQUIRED, LOGIN_FAILED). */
  login: 4,
  /** Cognito or AWS IoT refused or could not be reached, or the device's own cloud step failed (other cloud codes). */
  cloud: 5,
  /** The secure session failed: wrong setup code, locked out, tampering (SESSION_*). */
  session: 6,
  /** The device could not join Wi-Fi (WIFI_*). */
  wifi: 7,
  /** Bluetooth or the device: not found, link lost, busy, already provisioned (device codes). */
  device: 8,
  /** The device broke the protocol (protocol codes). */
  protocol: 9,
  /** A batch finished with at least one device failed (the summary says which and why). */
  batchPartial: 10,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The one usage error of every program (protocol/cli-usage.ts): exit 2. */
export { CliUsageError };

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CliUsageError) return EXIT.usage;
  if (!isProvisioningError(err)) return EXIT.internal;
  if (err.code === 'CONFIG_INVALID') return EXIT.config;
  if (err.code === 'LOGIN_REQUIRED' || err.code === 'LOGIN_FAILED') return EXIT.login;
  switch (err.category) {
    case 'cloud':
      return EXIT.cloud;
    case 'session':
      return EXIT.session;
    case 'wifi':
      return EXIT.wifi;
    case 'protocol':
      return EXIT.protocol;
    case 'device':
      return err.code === 'INTERNAL' ? EXIT.internal : EXIT.device;
  }
}
