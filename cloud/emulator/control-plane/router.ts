/** Matches a request's method and raw path against the operations' `{label}` path templates. */
import type { Operation } from './contract/index.js';

export interface RouteMatch {
  operation: Operation;
  labels: Record<string, string>;
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export class Router {
  private readonly routes: Array<{ operation: Operation; segments: string[] }>;

  constructor(operations: readonly Operation[]) {
    this.routes = operations.map((operation) => ({ operation, segments: operation.path.split('/').slice(1) }));
  }

  /** Labels are percent-decoded per segment, so an encoded `/` (as in an ARN label) stays inside its label. */
  match(method: string, rawPath: string): RouteMatch | undefined {
    const parts = rawPath.split('/').slice(1);
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    for (const { operation, segments } of this.routes) {
      if (operation.method !== method || segments.length !== parts.length) continue;
      const labels: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const want = segments[i] as string;
        const got = decode(parts[i] as string);
        if (got === undefined) ok = false;
        else if (want.startsWith('{') && want.endsWith('}')) labels[want.slice(1, -1)] = got;
        else ok = want === got;
      }
      if (ok) return { operation, labels };
    }
    return undefined;
  }
}
