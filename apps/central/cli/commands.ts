import { join } from 'node:path';
import { writeSecretFileSync } from '../../../central/storage/index.js';
import { CloudSession } from '../../../central/cloud/index.js';
import { openBrowser } from '../../../central/auth/index.js';
import type { StoredTokens } from '../../../central/auth/index.js';
import { CliUsageError } from './exit-codes.js';
import type { CommandContext } from './context.js';
import type { CliIo, Output } from './io.js';
import { promptSecret, readSecretFile } from './secret-input.js';

/** Environment variable that may hold the password for `login --password-grant` (never echoed). */
export const PASSWORD_ENV = 'CENTRAL_PASSWORD';

export interface LoginFlags {
  deviceGrant: boolean;
  passwordGrant: boolean;
  username?: string;
  passwordFile?: string;
  browser: boolean;
}

function who(tokens: StoredTokens): string {
  return tokens.username ?? tokens.subject;
}

function loginData(tokens: StoredTokens): Record<string, unknown> {
  return {
    user: who(tokens),
    subject: tokens.subject,
    issuer: tokens.issuer,
    expiresAt: new Date(tokens.expiresAt).toISOString(),
  };
}

export async function login(ctx: CommandContext, flags: LoginFlags, out: Output, io: CliIo): Promise<void> {
  if (flags.deviceGrant && flags.passwordGrant)
    throw new CliUsageError('choose one of --device-grant and --password-grant');
  let tokens: StoredTokens;
  if (flags.deviceGrant) {
    tokens = await ctx.auth.loginWithDeviceCode((p) => {
      out.progress(`To sign in, open ${p.verificationUri} and enter the code ${p.userCode}`);
      if (p.verificationUriComplete) out.progress(`(or open ${p.verificationUriComplete})`);
      out.progress(`Waiting for approval (the code expires in ${Math.round(p.expiresInS / 60)} min)...`);
    });
  } else if (flags.passwordGrant) {
    if (!flags.username) throw new CliUsageError('--password-grant needs --username');
    const password = flags.passwordFile
      ? readSecretFile(flags.passwordFile, 'password')
      : (io.env[PASSWORD_ENV] ??
        (await promptSecret(io, `Password for ${flags.username}: `, {
          what: 'password',
          alternatives: `--password-file FILE or $${PASSWORD_ENV}`,
        })));
    tokens = await ctx.auth.loginWithPassword(flags.username, password);
  } else {
    tokens = await ctx.auth.loginWithBrowser((url) => {
      out.progress(`Sign in at ${ctx.config.oidc.issuer}:`);
      out.progress(`  ${url.href}`);
      if (flags.browser && (io.openBrowser ?? openBrowser)(url.href)) out.progress('(opened in your browser)');
      out.progress('Waiting for the browser to come back...');
    });
  }
  out.result(`Logged in as ${who(tokens)} (${tokens.issuer})`, loginData(tokens));
}

export async function logout(ctx: CommandContext, out: Output): Promise<void> {
  const result = await ctx.auth.logout();
  if (!result.wasLoggedIn) {
    out.result('Not logged in.', { ...result });
    return;
  }
  const lines = [`Logged out${result.revoked ? ' (refresh token revoked at the provider)' : ''}.`];
  if (result.endSessionUrl) lines.push(`To end the browser session too, open ${result.endSessionUrl}`);
  out.result(lines.join('\n'), { ...result });
}

export async function whoami(ctx: CommandContext, out: Output): Promise<void> {
  const tokens = await ctx.auth.tokens();
  out.result(
    `Logged in as ${who(tokens)} at ${tokens.issuer} until ${new Date(tokens.expiresAt).toISOString()}`,
    loginData(tokens),
  );
}

/**
 * Federates and fetches a claim now: checks the whole cloud path. The private key is not shown;
 * with `outDir` the certificate and key are written there (0600, atomically) under the names AWS
 * gives its downloads, which the SoftAP upload page asks for.
 */
export async function claim(ctx: CommandContext, out: Output, outDir?: string): Promise<void> {
  const cloud = new CloudSession({ config: ctx.config, idToken: () => ctx.auth.idToken() });
  const c = await cloud.claim();
  const data = {
    certificateId: c.certificateId,
    expiresAt: c.expiresAt.toISOString(),
    template: ctx.config.iot.provisioningTemplateName,
  };
  if (outDir === undefined) {
    out.result(`Claim ${c.certificateId} for template ${data.template}, valid until ${data.expiresAt}`, data);
    return;
  }
  const files = claimFileNames(outDir, c.certificateId);
  writeSecretFileSync(files.certificateFile, c.certificatePem);
  writeSecretFileSync(files.privateKeyFile, c.privateKeyPem);
  out.result(
    [
      `Claim ${c.certificateId} for template ${data.template}, valid until ${data.expiresAt}:`,
      `  certificate  ${files.certificateFile}`,
      `  private key  ${files.privateKeyFile}`,
      'For the SoftAP upload page, copy both to the phone over a channel you trust (a USB cable, AirDrop,',
      'your own cloud drive; not e-mail or chat), choose them on the page before the claim runs out, then delete them.',
    ].join('\n'),
    { ...data, ...files },
  );
}

/** `<first 10 of the id>-certificate.pem.crt` and `-private.pem.key`, as the AWS console names a claim's files. */
export function claimFileNames(
  dir: string,
  certificateId: string,
): { certificateFile: string; privateKeyFile: string } {
  const prefix = certificateId.slice(0, 10);
  return {
    certificateFile: join(dir, `${prefix}-certificate.pem.crt`),
    privateKeyFile: join(dir, `${prefix}-private.pem.key`),
  };
}
