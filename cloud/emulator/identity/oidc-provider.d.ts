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
    on(event: string, listener: (...args: unknown[]) => void): this;
    /** Koa's `use`: a middleware around every request the provider handles. */
    use(middleware: (ctx: never, next: () => Promise<void>) => Promise<void>): this;
  }

  export const errors: Record<string, (new (...args: unknown[]) => Error) | undefined>;
}
