/**
 * The realm's login interaction (`…/interaction/<uid>`): our own server-rendered sign-in page in
 * front of oidc-provider, with its CSRF check, the per-interaction attempt limit and the account
 * lockouts of login-throttle.ts. Every configured client is first-party, so no consent page.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { OidcUserConfig } from '../config/index.js';
import { lockMessage } from './login-throttle.js';
import type { LoginThrottle } from './login-throttle.js';
import { firstPartyGrant } from './oidc-provider-config.js';
import { errorPage, loginPage } from './oidc-pages.js';
import type { UserDirectory } from './users.js';

/** Wrong passwords allowed per login interaction before it is ended with access_denied. */
export const MAX_LOGIN_ATTEMPTS_PER_INTERACTION = 5;
/** Interactions whose failed attempts are remembered at once; abandoned ones are forgotten beyond this. */
export const MAX_TRACKED_INTERACTIONS = 10_000;

export interface LoginInteractionOptions {
  provider: Provider;
  /** The realm's path, e.g. `/realms/fleet`. */
  prefix: string;
  issuer: string;
  realm: string;
  /** Display names of the clients, by client id. */
  clientNames: ReadonlyMap<string, string>;
  /** Key of the form's CSRF token (an HMAC of the interaction id). */
  csrfKey: Buffer;
  users: UserDirectory;
  throttle: LoginThrottle;
}

/** The interaction's routes carry its id as `:uid`. */
/** The login form's fields as express.urlencoded parses them (absent on a request without a form). */
type FormBody = Partial<Record<string, unknown>> | undefined;
type InteractionRequest = Request<{ uid: string }, unknown, FormBody>;
type Handler = (req: InteractionRequest, res: Response) => Promise<void>;

/** Mounts the interaction page, its login form and its abort button on `app`. */
export function mountLoginInteraction(app: Express, options: LoginInteractionOptions): void {
  const login = new LoginInteraction(options);
  const urlencoded = express.urlencoded({ extended: false, limit: '8kb' });
  const route =
    (handler: Handler) =>
    async (req: InteractionRequest, res: Response, next: NextFunction): Promise<void> => {
      try {
        await handler(req, res);
      } catch (err) {
        next(err);
      }
    };
  app.get(
    `${options.prefix}/interaction/:uid`,
    route((req, res) => login.open(req, res)),
  );
  app.post(
    `${options.prefix}/interaction/:uid/login`,
    urlencoded,
    route((req, res) => login.submit(req, res)),
  );
  app.post(
    `${options.prefix}/interaction/:uid/abort`,
    urlencoded,
    route((req, res) => login.abort(req, res)),
  );
}

class LoginInteraction {
  /** Wrong passwords per interaction id. */
  private readonly attempts = new Map<string, number>();

  constructor(private readonly o: LoginInteractionOptions) {}

  /** GET: the login page, or (already logged in) the consent recorded without a page. */
  async open(req: InteractionRequest, res: Response): Promise<void> {
    const { provider } = this.o;
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await this.showLogin(req, res, req.params.uid);
      return;
    }
    // Consent: every configured client is first-party (as a Keycloak client with "consent required"
    // off); native clients still need an explicit consent result, so record one without a page.
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error('interaction mismatch');
    const grantId = await firstPartyGrant(provider, String(details.params.client_id ?? ''), accountId, details.grantId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** POST …/login: check the form, the lockouts and the password, then finish the interaction. */
  async submit(req: InteractionRequest, res: Response): Promise<void> {
    const uid = req.params.uid;
    if (!this.csrfValid(req, uid)) {
      refuseForeignForm(res);
      return;
    }
    const username = typeof req.body?.username === 'string' ? req.body.username.trim() : '';
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    const address = req.socket.remoteAddress ?? 'unknown';
    const lock = this.o.throttle.check(username, address);
    if (lock.locked) {
      // The password is not checked while locked: the page tells nothing about it.
      res.set('Retry-After', String(Math.ceil(lock.retryAfterMs / 1000)));
      await this.showLogin(req, res, uid, lockMessage(lock), username, 429);
      return;
    }
    const user = this.authenticate(username, password, address);
    if (!user) {
      await this.refuse(req, res, uid, username);
      return;
    }
    this.attempts.delete(uid);
    await this.finishLogin(req, res, user);
  }

  /** POST …/abort: the person cancelled; the client gets access_denied. */
  async abort(req: InteractionRequest, res: Response): Promise<void> {
    if (!this.csrfValid(req, req.params.uid)) {
      refuseForeignForm(res);
      return;
    }
    await this.o.provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
  }

  /** The password check, counted by the throttle when both fields were given. */
  private authenticate(username: string, password: string, address: string): OidcUserConfig | undefined {
    if (!username || !password) return undefined;
    const user = this.o.users.authenticate(username, password);
    if (user) this.o.throttle.succeeded(username);
    else this.o.throttle.failed(username, address);
    return user;
  }

  /** A wrong login: the page again, or access_denied once the interaction's attempts are used up. */
  private async refuse(req: InteractionRequest, res: Response, uid: string, username: string): Promise<void> {
    const count = (this.attempts.get(uid) ?? 0) + 1;
    const oldest = this.attempts.keys().next();
    if (!this.attempts.has(uid) && this.attempts.size >= MAX_TRACKED_INTERACTIONS && !oldest.done)
      this.attempts.delete(oldest.value);
    this.attempts.set(uid, count);
    if (count < MAX_LOGIN_ATTEMPTS_PER_INTERACTION) {
      await this.showLogin(req, res, uid, 'Invalid username or password.', username);
      return;
    }
    this.attempts.delete(uid);
    await this.o.provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'Too many failed sign-in attempts' },
      { mergeWithLastSubmission: false },
    );
  }

  private async finishLogin(req: InteractionRequest, res: Response, user: OidcUserConfig): Promise<void> {
    const { provider } = this.o;
    const details = await provider.interactionDetails(req, res);
    const grantId = await firstPartyGrant(provider, String(details.params.client_id ?? ''), user.sub, details.grantId);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.sub, remember: true }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  private async showLogin(
    req: InteractionRequest,
    res: Response,
    uid: string,
    error?: string,
    username?: string,
    status = 401,
  ): Promise<void> {
    const { prefix } = this.o;
    const details = await this.o.provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    const clientId = String(details.params.client_id ?? '');
    const loginPageInput = {
      action: `${prefix}/interaction/${uid}/login`,
      abortAction: `${prefix}/interaction/${uid}/abort`,
      csrf: this.csrfFor(uid),
      realm: this.o.realm,
      clientName: this.o.clientNames.get(clientId) ?? clientId,
      ...(error ? { error } : {}),
      ...(username ? { username } : {}),
    };
    res
      .status(error ? status : 200)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(loginPage(loginPageInput));
  }

  private csrfFor(uid: string): string {
    return createHmac('sha256', this.o.csrfKey).update(`login-csrf:${uid}`).digest('base64url');
  }

  private csrfValid(req: InteractionRequest, uid: string): boolean {
    const sent = typeof req.body?.csrf === 'string' ? Buffer.from(req.body.csrf) : Buffer.alloc(0);
    const expected = Buffer.from(this.csrfFor(uid));
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return false;
    // A browser always sends Origin on a form POST; when it does, it must be us.
    const origin = req.get('origin');
    return origin === undefined || origin === 'null' || origin === new URL(this.o.issuer).origin;
  }
}

function refuseForeignForm(res: Response): void {
  res.status(403).type('html').send(errorPage('invalid_request', 'The form was not submitted from this sign-in page.'));
}
