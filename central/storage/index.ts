/** The phone's one atomic writer for secrets (0600, temp file + rename). */
export { writeSecretFileSync, SECRET_FILE_MODE } from './secret-file.js';
