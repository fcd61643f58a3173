/** Picks the cache backend the configuration names. */
import type { ApiConfig } from '../../config.ts';
import type { Cache, Clock } from '../../ports.ts';
import { createMemoryCache } from './memory.ts';
import { createUpstashCache } from './upstash.ts';

export function createCache(config: ApiConfig['cache'], clock?: Clock): Cache {
  return config.kind === 'upstash'
    ? createUpstashCache({ url: config.url, token: config.token })
    : createMemoryCache({ clock });
}
