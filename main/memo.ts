/** The part of a Map or WeakMap a memo needs (so a bounded map serves too). */
export interface MemoCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/**
 * `compute` once per key, the answer kept in `cache`: a WeakMap for answers that belong to one
 * object (they go when it goes), a Map for a small closed set of keys, a bounded map otherwise.
 * `compute` must be a pure function of the key and never return undefined.
 */
export function memoized<K, V>(compute: (key: K) => V, cache: MemoCache<K, V> = new Map<K, V>()): (key: K) => V {
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      cache.set(key, value);
    }
    return value;
  };
}
