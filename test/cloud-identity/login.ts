import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { parseForm, TestBrowser } from '../../demo/browser.js';

export async function discover(issuer: string, clientId: string): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
}

/** A loopback redirect target (RFC 8252 §7.3) on a free port that records the callback URL. */
export async function startLoopbackReceiver(): Promise<{
  redirectUri: string;
  received: Promise<URL>;
  close(): Promise<void>;
}> {
  let resolveReceived: (url: URL) => void = () => {};
  const received = new Promise<URL>((resolve) => {
    resolveReceived = resolve;
  });
  const server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    resolveReceived(new URL(req.url ?? '/', `http://127.0.0.1:${port}`));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface CodeFlowResult {
  tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  browser: TestBrowser;
}

/**
 * The authorization code flow with PKCE, driven through the provider's real pages: open the
 * authorization URL, fill in the login form, follow the redirects to a real loopback receiver,
 * exchange the code.
 */
export async function codeFlowLogin(
  config: client.Configuration,
  username: string,
  password: string,
  browser = new TestBrowser(),
): Promise<CodeFlowResult> {
  const receiver = await startLoopbackReceiver();
  try {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: receiver.redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const loginPage = await browser.get(url.href);
    if (loginPage.status !== 200)
      throw new Error(`login page: HTTP ${loginPage.status}: ${loginPage.html.slice(0, 300)}`);
    const form = parseForm(loginPage.html, loginPage.url, '/login');
    const done = await browser.post(form.action, { ...form.fields, username, password });
    if (done.status !== 200) throw new Error(`login: HTTP ${done.status}: ${done.html.slice(0, 300)}`);
    const callback = await receiver.received;
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    return { tokens, browser };
  } finally {
    await receiver.close();
  }
}

/**
 * The device authorization grant: the "device" asks for a code, a person approves it on the
 * verification page (driven here programmatically), the device polls for tokens.
 */
export async function deviceGrantLogin(
  config: client.Configuration,
  username: string,
  password: string,
): Promise<Awaited<ReturnType<typeof client.pollDeviceAuthorizationGrant>>> {
  const response = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' });
  const browser = new TestBrowser();
  // verification_uri_complete answers with a self-submitting form (a <noscript> button without JS),
  // which leads to the confirmation page.
  const autoSubmit = await browser.get(response.verification_uri_complete ?? response.verification_uri);
  const autoForm = parseForm(autoSubmit.html, autoSubmit.url);
  const confirm = await browser.post(autoForm.action, autoForm.fields);
  if (!confirm.html.includes(response.user_code)) throw new Error('the confirmation page does not show the user code');
  const confirmForm = parseForm(confirm.html, confirm.url);
  const login = await browser.post(confirmForm.action, confirmForm.fields);
  const loginForm = parseForm(login.html, login.url, '/login');
  const success = await browser.post(loginForm.action, { ...loginForm.fields, username, password });
  if (!/Signed in/.test(success.html))
    throw new Error(`device approval failed: HTTP ${success.status}: ${success.html.slice(0, 300)}`);
  // Approved before the first poll: no need to wait the advertised interval.
  return client.pollDeviceAuthorizationGrant(config, { ...response, interval: 0 });
}
