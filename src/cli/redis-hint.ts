import { redactUrl } from '../publish/redis-connection.js';

/** What to tell a person when Redis cannot be reached: which URL was tried and how to get one running. */
export function redisUnreachableMessage(url: string, detail: string | undefined): string {
  return [
    `cannot reach Redis at ${redactUrl(url)}${detail ? ` (${detail})` : ''}.`,
    'Start one locally with `redis-server`, or in Docker with `docker run -d --name voc-redis -p 6379:6379 redis:7`,',
    'or point the engine at yours with VOC_REDIS_URL=redis://host:6379 (or redis.url in the config file).',
  ].join('\n');
}
