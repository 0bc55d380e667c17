/** GitHub knowledge shared by slices: payload readers (API clients and app auth come later). */
export { isObj, objAt, str, num, arr, toIsoTimestamp } from './payload-fields.js';
export type { Obj } from './payload-fields.js';
