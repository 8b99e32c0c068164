/**
 * Test fixtures shared with the end-to-end tests: a real registry with token
 * auth, a pusher, and image/signature builders that never use the plugin's
 * own verification code.
 */
export { startLocalRegistry, freePort } from './localRegistry';
export type { LocalRegistry } from './localRegistry';
export { Pusher } from './pusher';
export * from './images';
