/**
 * The typed errors live in the public module `WorkqueueError.ts`; the engine
 * imports them from here.
 *
 * @internal
 */
export * from "../WorkqueueError.js"
