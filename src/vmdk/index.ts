export type { Extent, ExtentRange, ParentRead, RangeState } from './extent.js';
