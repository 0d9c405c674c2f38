import { readFileSync } from 'node:fs';
import { configError } from './validate.js';
import { parseConfig } from './schema.js';
import type { ParsedConfig } from './schema.js';

/** Reads and validates an emulator configuration file; errors are CONFIG_INVALID naming the file and field. */
export function loadConfigFile(path: string): ParsedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError('(file)', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw configError('(root)', `is not valid JSON (${(err as Error).message})`, path);
  }
  return parseConfig(raw, path);
}
