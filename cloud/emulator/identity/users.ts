import { createHash, timingSafeEqual } from 'node:crypto';
import type { OidcUserConfig } from '../config/index.js';
import { hashPassword, verifyPassword } from './passwords.js';

/** The realm's users, from the configuration file. Lookups by username (login) and by sub (tokens). */
export class UserDirectory {
  private readonly byUsername = new Map<string, OidcUserConfig>();
  private readonly bySubject = new Map<string, OidcUserConfig>();
  /** Verified against when the username is unknown, so both cases take the same time. */
  private readonly dummyHash = hashPassword('not-a-user-password', new Uint8Array(16));

  constructor(users: readonly OidcUserConfig[]) {
    for (const user of users) {
      this.byUsername.set(user.username, user);
      this.bySubject.set(user.sub, user);
    }
  }

  authenticate(username: string, password: string): OidcUserConfig | undefined {
    const user = this.byUsername.get(username);
    if (!user) {
      verifyPassword(password, this.dummyHash);
      return undefined;
    }
    if (user.passwordHash !== undefined) return verifyPassword(password, user.passwordHash) ? user : undefined;
    return user.password !== undefined && equalSecrets(password, user.password) ? user : undefined;
  }

  findBySub(sub: string): OidcUserConfig | undefined {
    return this.bySubject.get(sub);
  }

  /** What an access token says about the user (keycloak-shape.ts's AccountLookup). */
  accountOf(sub: string): { username: string; email?: string; name?: string } | undefined {
    const user = this.bySubject.get(sub);
    return user
      ? {
          username: user.username,
          ...(user.email ? { email: user.email } : {}),
          ...(user.name ? { name: user.name } : {}),
        }
      : undefined;
  }
}

/** A user's claims for the ID token and userinfo (findAccount and the password grant). */
export function userClaims(user: OidcUserConfig): Record<string, unknown> {
  return {
    sub: user.sub,
    preferred_username: user.username,
    ...(user.name ? { name: user.name } : {}),
    ...(user.email ? { email: user.email, email_verified: true } : {}),
  };
}

function equalSecrets(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
