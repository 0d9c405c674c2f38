import { expect } from 'vitest';

// vitest types its asymmetric matchers `any`, which would switch type checking off for whatever object
// holds one. Typed `unknown`, they still go anywhere toEqual, toMatchObject and toThrow take a value.

/** A string containing `text`. */
export const textContaining = (text: string): unknown => expect.stringContaining(text);

/** A string matching `pattern`. */
export const textMatching = (pattern: string | RegExp): unknown => expect.stringMatching(pattern);

/** An object with at least these properties (which may be matchers themselves). */
export const objectContaining = (shape: Readonly<Record<string, unknown>>): unknown => expect.objectContaining(shape);

/** Any value made by `type` (String and Number match primitives too). */
export const anyOf = (type: abstract new (...args: never[]) => unknown): unknown => expect.any(type);
