/**
 * Test fixtures shared with the end-to-end tests and benchmarks: a real
 * registry with token auth, an in-memory registry that records requests and
 * injects faults, a pusher, and image/signature builders that never use the
 * plugin's own verification code.
 *
 * @packageDocumentation
 */
export { startLocalRegistry, freePort } from './localRegistry';
export type { LocalRegistry } from './localRegistry';
export { startFakeRegistry } from './fakeRegistry';
export type { BearerAuth, FakeRegistry, Fault } from './fakeRegistry';
export { Pusher } from './pusher';
export type { PushedDescriptor } from './pusher';
export * from './images';
export * from './dockerLayouts';
