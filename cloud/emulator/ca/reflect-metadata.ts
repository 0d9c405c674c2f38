/**
 * @peculiar/x509 2 loads tsyringe, which refuses to start without the Reflect metadata API
 * (`reflect-metadata`, not a dependency here). This installs the small subset tsyringe uses, once,
 * before @peculiar/x509 is imported: import this module first.
 */
type Key = unknown;
type Store = Map<string | symbol | undefined, Map<Key, unknown>>;

const stores = new WeakMap<object, Store>();

function own(target: object, property: string | symbol | undefined, create: boolean): Map<Key, unknown> | undefined {
  let store = stores.get(target);
  if (!store) {
    if (!create) return undefined;
    store = new Map();
    stores.set(target, store);
  }
  let map = store.get(property);
  if (!map && create) {
    map = new Map();
    store.set(property, map);
  }
  return map;
}

interface ReflectMetadataApi {
  defineMetadata(key: Key, value: unknown, target: object, property?: string | symbol): void;
  getOwnMetadata(key: Key, target: object, property?: string | symbol): unknown;
  getMetadata(key: Key, target: object, property?: string | symbol): unknown;
  hasMetadata(key: Key, target: object, property?: string | symbol): boolean;
  metadata(key: Key, value: unknown): (target: object, property?: string | symbol) => void;
}

const api: ReflectMetadataApi = {
  defineMetadata(key, value, target, property) {
    own(target, property, true)?.set(key, value);
  },
  getOwnMetadata(key, target, property) {
    return own(target, property, false)?.get(key);
  },
  getMetadata(key, target, property) {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const map = own(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  },
  hasMetadata(key, target, property) {
    return api.getMetadata(key, target, property) !== undefined;
  },
  metadata(key, value) {
    return (target, property) => api.defineMetadata(key, value, target, property);
  },
};

const reflect = Reflect as unknown as Partial<ReflectMetadataApi>;
if (typeof reflect.getMetadata !== 'function') Object.assign(Reflect, api);
