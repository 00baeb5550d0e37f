/**
 * Imported first by extension.ts, so this line runs before any other module of the bundle:
 * the gap between it and activate() is the bundle's module evaluation. (Parsing the bundle
 * happens before any line runs; bench/activation.ts measures that part in plain Node.)
 */
export const bundleEvaluationStart = performance.now();
