/** The catalog tapped from the backup stream (CatalogTap), and its range type. */
export { CatalogTap, DEFAULT_MAX_KEPT_BYTES, type CatalogTapOptions, type ReadBack, type TapFinishOptions, type TapSummary } from './catalog-tap.js';
export type { ByteRange } from './ranges.js';
