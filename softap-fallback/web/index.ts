/** The SoftAP upload page (softap-fallback/README.md, "Upload page"): build it, or load a prebuilt copy. */
export { buildPage, PAGE_BUILD_OPTIONS, PAGE_TARGETS } from './build.js';
export type { PageAssets, PageFile } from './build.js';
export { loadPrebuiltPage, PAGE_FILES, writePage } from './prebuilt.js';
