/** The phone's configuration (endpoints, client, template): where it is read from and what it holds. */
export { configPath, loadCentralConfig } from './config.js';
export type { CentralConfig } from './config.js';
