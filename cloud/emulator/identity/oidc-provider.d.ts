/**
 * The small part of oidc-provider 9's API the emulator uses (the package ships no TypeScript types
 * and @types/oidc-provider is not installed).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown> & { client_id?: string; scope?: string };
    session?: { accountId?: string };
    grantId?: string;
    exp: number;
  }

  export interface GrantInstance {
    jti: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  /** A token model instance (AccessToken, RefreshToken): `save` stores it and returns its value. */
  export interface TokenInstance {
    save(): Promise<string>;
    /** Seconds until it expires. */
    readonly expiration: number;
  }

  export interface AccessTokenInstance extends TokenInstance {
    resourceServer?: ResourceServerInstance;
  }

  /** What RefreshToken.find gives back: the stored token's fields. */
  export interface StoredRefreshToken {
    clientId?: string;
    accountId?: string;
    scope?: string;
    exp?: number;
    isExpired?: boolean;
  }

  export interface IdTokenInstance {
    scope: string;
    set(claim: string, value: unknown): void;
    issue(options: { use: 'idtoken' | 'logout' }): Promise<string>;
  }

  export interface ResourceServerInstance {
    identifier(): string;
  }

  /** The context a grant type handler sees (registerGrantType). */
  export interface GrantContext {
    body: unknown;
    req: IncomingMessage;
    oidc: {
      params: Record<string, string | undefined>;
      client: { clientId: string };
      entity(name: string, value: object): void;
    };
  }

  export interface KoaLikeContext {
    type: string;
    body: unknown;
    status: number;
    host: string;
    oidc: {
      client?: { clientId: string; clientName?: string };
      session?: {
        accountId?: string;
        grantIdFor(clientId: string, value?: string): string | undefined;
        ensureClientContainer(clientId: string): void;
      };
      result?: { consent?: { grantId?: string } };
      provider: Provider;
    };
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    Grant: {
      new (init: { clientId: string; accountId: string }): GrantInstance;
      find(id: string): Promise<GrantInstance | undefined>;
    };
    Client: { find(id: string): Promise<{ clientId: string; clientName?: string } | undefined> };
    AccessToken: new (init: Record<string, unknown>) => AccessTokenInstance;
    RefreshToken: {
      new (init: Record<string, unknown>): TokenInstance;
      find(value: string): Promise<StoredRefreshToken | undefined>;
    };
    IdToken: new (claims: Record<string, unknown>, options: { ctx: GrantContext }) => IdTokenInstance;
    ResourceServer: new (identifier: string, info: Record<string, unknown>) => ResourceServerInstance;
    registerGrantType(
      name: string,
      handler: (ctx: GrantContext, next: () => Promise<void>) => Promise<void>,
      parameters?: readonly string[],
    ): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    /** Koa's `use`: a middleware around every request the provider handles. */
    use(middleware: (ctx: never, next: () => Promise<void>) => Promise<void>): this;
  }

  export const errors: {
    /** An OAuth error with its own code and description. */
    CustomOIDCProviderError: new (error: string, description?: string) => Error;
    InvalidRequest: new (description?: string) => Error;
  };
}
