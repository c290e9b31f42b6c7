/**
 * Intrusive circular doubly-linked lists, the kernel's `list_head`.
 *
 * Invariants:
 * - a node is on at most one list; a node that is on no list points to itself
 *   (`node.next === node`), so "is it queued?" is one comparison;
 * - a list is a sentinel node: empty iff `head.next === head`;
 * - unlinking needs no reference to the list, which is what lets cancel steal a
 *   work item from whichever list it is on (worklist, inactive list, or a
 *   worker's scheduled list) in O(1).
 *
 * Queueing and dispatch are the hot path: an intrusive list costs no
 * allocation per push (the work item is the node) where an array-backed deque
 * or an Effect `Queue` allocates per element (measured in `bench/`).
 *
 * @internal
 */

/** @internal */
export class ListNode {
  next: ListNode = this // P: neighbour toward the tail
  prev: ListNode = this // P: neighbour toward the head
}

/** @internal a sentinel; `head.next` is the first node */
export const makeList = (): ListNode => new ListNode()

/** @internal */
export const isEmpty = (head: ListNode): boolean => head.next === head

/** @internal the first node, or `null` if the list is empty */
export const first = <A extends ListNode>(head: ListNode): A | null => head.next === head ? null : (head.next as A)

/** @internal the last node, or `null` if the list is empty */
export const last = <A extends ListNode>(head: ListNode): A | null => head.prev === head ? null : (head.prev as A)

/** @internal insert `node` right after `at` (`at` may be a sentinel) */
export const insertAfter = (node: ListNode, at: ListNode): void => {
  const next = at.next
  node.prev = at
  node.next = next
  next.prev = node
  at.next = node
}

/** @internal append `node` at the tail of `head` */
export const addTail = (node: ListNode, head: ListNode): void => {
  const prev = head.prev
  node.next = head
  node.prev = prev
  prev.next = node
  head.prev = node
}

/** @internal unlink `node` from whatever list it is on and reset it to self */
export const remove = (node: ListNode): void => {
  const prev = node.prev
  const next = node.next
  prev.next = next
  next.prev = prev
  node.next = node
  node.prev = node
}

/** @internal number of nodes (O(n): for diagnostics and tests only) */
export const size = (head: ListNode): number => {
  let n = 0
  for (let node = head.next; node !== head; node = node.next) n++
  return n
}

/** @internal the nodes in order (O(n): for diagnostics and tests only) */
export const toArray = <A extends ListNode>(head: ListNode): Array<A> => {
  const out: Array<A> = []
  for (let node = head.next; node !== head; node = node.next) out.push(node as A)
  return out
}
