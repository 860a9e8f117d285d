export * from './arm-stats.js';
export * from './confidence-sequence.js';
export * from './decide.js';
export * from './rollback-watch.js';
export * from './decision-time.js';
export { mulberry32, normalSampler } from './random.js';
