import { useSyncExternalStore } from 'react';

/**
 * A value kept in localStorage under `key`, shared by every component that reads it and by other tabs (the
 * storage event), so logging out or adding to the cart in one tab shows in all of them.
 */
export function storedValue<Value>(key: string, fallback: Value) {
  const listeners = new Set<() => void>();
  let cachedText: string | null = null;
  let cachedValue = fallback;
  const read = (): Value => {
    const text = localStorage.getItem(key);
    if (text !== cachedText) {
      cachedText = text;
      try {
        cachedValue = text === null ? fallback : (JSON.parse(text) as Value);
      } catch {
        cachedValue = fallback;
      }
    }
    return cachedValue;
  };
  const notify = () => {
    for (const listener of listeners) listener();
  };
  window.addEventListener('storage', (event) => {
    if (event.key === key || event.key === null) notify();
  });
  const subscribe = (listener: () => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return {
    get: read,
    set(value: Value) {
      localStorage.setItem(key, JSON.stringify(value));
      notify();
    },
    clear() {
      localStorage.removeItem(key);
      notify();
    },
    use: () => useSyncExternalStore(subscribe, read),
  };
}
