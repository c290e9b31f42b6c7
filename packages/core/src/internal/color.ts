/**
 * The flush-color state machine (kernel `__flush_workqueue`,
 * `flush_workqueue_prep_pwqs`, `work_next_color`): the synchronous part of a
 * workqueue flush, with no Effect in it. `flush.ts` waits on the flushers it
 * makes; `pwq.ts` reports here when a pwq's last in-flight item of the color
 * being flushed retires.
 *
 * Protocol: PROTOCOLS.md F1–F5.
 *
 * Invariants:
 * - `wq.workColor` and `wq.flushColor` advance around a ring of
 *   WORK_NR_COLORS colors; a color is reused only after its flush completed;
 * - at most one flusher is `firstFlusher`; flushers complete in the order
 *   they took their colors (guarantee 14);
 * - `wq.nrPwqsToFlush` counts the pwqs still armed for `wq.flushColor`
 *   (plus one while arming, so arming cannot complete early).
 *
 * Imports only types and constants: it sits below `pwq.ts`.
 *
 * @internal
 */
import { WORK_NR_COLORS } from "./constants.js"
import type { WorkqueueImpl } from "./workqueue.js"

/** @internal kernel `struct wq_flusher` */
export class Flusher {
  color = -1 // F: the flush color it waits for
  done = false // F
  resume: (() => void) | null = null // F: resumes the waiting fiber, if any
}

/** @internal kernel `work_next_color` */
export const nextColor = (color: number): number => (color + 1) % WORK_NR_COLORS

const complete = (flusher: Flusher): void => {
  flusher.done = true
  const resume = flusher.resume
  if (resume !== null) {
    flusher.resume = null
    resume()
  }
}

/**
 * @internal F3, kernel `flush_workqueue_prep_pwqs`: arm pwqs with in-flight items
 * of `flushColor` (if >= 0) and advance every pwq's work color to `workColor`
 * (if >= 0). Returns whether there is anything to wait for.
 */
const prepPwqs = (wq: WorkqueueImpl, flushColor: number, workColor: number): boolean => {
  let wait = false
  if (flushColor >= 0) wq.nrPwqsToFlush = 1
  for (const pwq of wq.pwqs) {
    if (flushColor >= 0 && pwq.nrInFlight[flushColor] !== 0) {
      pwq.flushColor = flushColor
      wq.nrPwqsToFlush++
      wait = true
    }
    if (workColor >= 0) pwq.workColor = workColor
  }
  // the kernel completes the first flusher here when nothing was armed; the callers do
  if (flushColor >= 0) wq.nrPwqsToFlush--
  return wait
}

/** @internal kernel `__flush_workqueue`, start-to-wait phase (PROTOCOLS.md F2–F3) */
export const startFlush = (wq: WorkqueueImpl): Flusher => {
  const flusher = new Flusher()
  const next = nextColor(wq.workColor)
  if (next !== wq.flushColor) {
    // the ring is not full: the current work color becomes our flush color
    flusher.color = wq.workColor
    wq.workColor = next
    if (wq.firstFlusher === null) {
      wq.firstFlusher = flusher
      if (!prepPwqs(wq, wq.flushColor, wq.workColor)) {
        // nothing to flush
        wq.flushColor = next
        wq.firstFlusher = null
        flusher.done = true
      }
    } else {
      wq.flusherQueue.push(flusher)
      prepPwqs(wq, -1, wq.workColor)
    }
  } else {
    // 15 colors in flight: wait for the cascade to hand us one
    wq.flusherOverflow.push(flusher)
  }
  return flusher
}

/**
 * @internal a pwq finished its part of the current flush color (called from
 * `pwqDecNrInFlight`). When it was the last one, run the cascade (F4).
 */
export const flushPwqDone = (wq: WorkqueueImpl): void => {
  if (--wq.nrPwqsToFlush === 0) cascade(wq)
}

/** @internal F4, kernel `__flush_workqueue`: the wake-up-and-cascade phase */
const cascade = (wq: WorkqueueImpl): void => {
  const first = wq.firstFlusher!
  wq.firstFlusher = null
  complete(first)
  for (;;) {
    // complete all the flushers sharing the finished color
    while (wq.flusherQueue.length > 0 && wq.flusherQueue[0]!.color === wq.flushColor) {
      complete(wq.flusherQueue.shift()!)
    }
    wq.flushColor = nextColor(wq.flushColor)
    // a color was freed: give it to every overflowed flusher
    if (wq.flusherOverflow.length > 0) {
      for (const f of wq.flusherOverflow) f.color = wq.workColor
      wq.workColor = nextColor(wq.workColor)
      wq.flusherQueue.push(...wq.flusherOverflow)
      wq.flusherOverflow.length = 0
      prepPwqs(wq, -1, wq.workColor)
    }
    if (wq.flusherQueue.length === 0) return
    // the next flusher in line becomes first and arms the pwqs for its color
    const next = wq.flusherQueue.shift()!
    wq.firstFlusher = next
    if (prepPwqs(wq, wq.flushColor, -1)) return
    // its color is already done
    complete(next)
    wq.firstFlusher = null
  }
}
