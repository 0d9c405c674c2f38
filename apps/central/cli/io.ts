import type { Noble } from '../../../ble/index.js';

/** Where the CLI writes: stdout for results, stderr for progress and errors. Injected for tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  /** Opens a URL in a browser where there is one; never throws (default: central/auth openBrowser); injected in tests. */
  openBrowser?: (url: string) => boolean;
  /** The noble stack on a transport spec (default: ble/ loadNoble); injected in tests. */
  noble?: (transport: string | undefined) => Noble;
}

/** Human output by default, one JSON document with --json (for scripts). */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** Progress and prompts for people: stderr, so stdout stays clean for --json. */
  progress(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  /** The command's result: a line for people, or the JSON document. */
  result(human: string, data: Record<string, unknown>): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify({ ok: true, ...data })}\n`);
    else this.io.stdout.write(`${human}\n`);
  }

  error(code: string, message: string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
    this.io.stderr.write(`tp-central: ${message}${code === 'USAGE' ? '' : ` [${code}]`}\n`);
  }
}
