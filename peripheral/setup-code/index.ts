/** Device-side I/O for the secure session: verifier file, attempt-counter file, QR label, the command. */
export { writeFileAtomicSync } from '../storage/index.js';
export { FileAttemptStore } from './attempt-store.js';
export { CONSOLE_OUTPUT, runMakeSetupCodeCli } from './cli.js';
export {
  makeSetupCode,
  systemRandom,
  VERIFIER_FILE_NAME,
  QR_PNG_FILE_NAME,
  QR_SVG_FILE_NAME,
} from './make-setup-code.js';
export type { MadeSetupCode, MakeSetupCodeOptions } from './make-setup-code.js';
export { renderQrTerminal, writeQrPng, writeQrSvg } from './qr.js';
export { readVerifierFile, writeVerifierFile, verifierFromJson, verifierToJson } from './verifier-file.js';
export type { VerifierFile } from './verifier-file.js';
