import type { ESLint } from 'eslint';

export declare const LAYERS: ReadonlyArray<{ from: string; allow: string[]; deny?: string[] }>;
declare const plugin: ESLint.Plugin;
export default plugin;
