import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';

/**
 * The gateway's query-plan store with hit/miss counting. @apollo/gateway accepts any
 * KeyValueCache with `clear` as `queryPlannerConfig.cache`; this wraps the LRU it uses by default.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the constraint KeyValueCache itself declares
export function createCountingPlanCache<V extends {}>(
  onLookup: (result: 'hit' | 'miss') => void,
  maxBytes = 30 * 2 ** 20,
): KeyValueCache<V> & { clear(): void } {
  const inner = new InMemoryLRUCache<V>({ maxSize: maxBytes });
  return {
    async get(key) {
      const value = await inner.get(key);
      onLookup(value === undefined ? 'miss' : 'hit');
      return value;
    },
    set: (key, value, options) => inner.set(key, value, options),
    delete: (key) => inner.delete(key),
    clear: () => inner.clear(),
  };
}
