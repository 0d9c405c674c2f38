import { ProvisioningError } from '../../protocol/index.js';

/**
 * A tiny field reader for the central's configuration: every failure is CONFIG_INVALID and names
 * the JSON path of the field (e.g. `oidc.issuer`) and the file it came from.
 */
export class FieldReader {
  constructor(private readonly source: string) {}

  fail(path: string, problem: string): never {
    throw new ProvisioningError('CONFIG_INVALID', { detail: `${path} in ${this.source}: ${problem}` });
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Record<string, unknown>;
  }

  string(value: unknown, path: string, pattern?: { re: RegExp; text: string }): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(path, 'must be a non-empty string');
    if (pattern && !pattern.re.test(value)) this.fail(path, `must be ${pattern.text}`);
    return value;
  }

  optionalString(value: unknown, path: string, pattern?: { re: RegExp; text: string }): string | undefined {
    return value === undefined ? undefined : this.string(value, path, pattern);
  }

  /** An absolute http(s) URL, returned without a trailing slash. */
  url(value: unknown, path: string): string {
    const text = this.string(value, path);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return this.fail(path, 'must be an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') this.fail(path, 'must be an http(s) URL');
    return text.replace(/\/+$/, '');
  }

  optionalUrl(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.url(value, path);
  }

  port(value: unknown, path: string, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535)
      this.fail(path, 'must be an integer from 1 to 65535');
    return value;
  }
}
