/** The emulator's configuration: the config file's schema and loading, cloud.json, and its atomic writer. */
export { loadConfigFile } from './load.js';
export { defaultConfig, IDENTITY_POOL_ID_PATTERN, PASSWORD_HASH_PATTERN, WEB_CLIENT_ID } from './schema.js';
export { writeFileAtomic } from './atomic-file.js';
export {
  readAdminCredentials,
  CLOUD_JSON_FILE,
  CLOUD_JSON_VERSION,
  writeCloudJson,
  readCloudJson,
} from './cloud-json.js';
export type { AdminCredentialsFile, CloudJson } from './cloud-json.js';
export type { CognitoConfig, EmulatorConfig, OidcUserConfig, OidcConfig } from './schema.js';
