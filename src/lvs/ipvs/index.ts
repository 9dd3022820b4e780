export * from './attrs.js';
export * from './client.js';
export * from './constants.js';
export * from './errors.js';
export * from './info.js';
export * from './service.js';
export type * from './message.js';
