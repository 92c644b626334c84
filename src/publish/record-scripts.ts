/**
 * Lua for call records (layout in keys.ts). Each start of a callId gets its own record, so a re-used
 * callId never overwrites an earlier call: the record at `<p>:call:{id}` (the primary) is renamed
 * to `<p>:call:{id}~<record>` when a new call takes the id, and a call that starts while the primary
 * is live writes to its own `~<record>` keys instead. Every later write of a record finds its keys
 * inside Redis (the `resolve` prelude), atomically, so a late write of an earlier call (a hung
 * Redis, another instance) lands in that call's record, never in the newer one.
 *
 * Scripts touch only the keys of one callId (one hash slot), so they work on Redis Cluster.
 */

/**
 * KEYS[1] primary hash, KEYS[2] the record's own `~<record>` hash; ARGV[1] record id. Sets `base`:
 * the primary when the record owns it or nobody does (the record's start write was lost), else the
 * record's own keys.
 */
const RESOLVE = `
local base = KEYS[2]
local owner = redis.call('HGET', KEYS[1], 'record')
if owner == ARGV[1] then
  base = KEYS[1]
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  base = KEYS[1]
  redis.call('HSET', base, 'record', ARGV[1])
end
`;

/**
 * A call starts. KEYS: primary hash, own hash, records zset. ARGV: record, activeTtlMs, nowMs,
 * staleAfterMs, per-call key suffixes (space separated), then the hash's field/value pairs.
 * A primary that is not live (ended, interrupted, or active for longer than any call may last) is
 * archived under its own record id; a live one is left alone and the new call takes its own keys.
 * Returns 1 when the new call took the primary.
 */
export const START_SCRIPT = `
local primary = KEYS[1]
local base = primary
if redis.call('EXISTS', primary) == 1 then
  local f = redis.call('HMGET', primary, 'state', 'startedMs', 'record')
  local startedMs = tonumber(f[2]) or 0
  local live = f[1] == 'active' and (startedMs == 0 or tonumber(ARGV[3]) - startedMs < tonumber(ARGV[4]))
  if live then
    base = KEYS[2]
  else
    local old = f[3] or ('legacy' .. startedMs)
    local archived = primary .. '~' .. old
    redis.call('RENAME', primary, archived)
    for suffix in string.gmatch(ARGV[5], '%S+') do
      if redis.call('EXISTS', primary .. suffix) == 1 then redis.call('RENAME', primary .. suffix, archived .. suffix) end
    end
    if not f[3] then redis.call('ZADD', KEYS[3], startedMs, old) end
  end
else
  -- keys left by a record whose hash expired would mix into the new call
  for suffix in string.gmatch(ARGV[5], '%S+') do redis.call('DEL', primary .. suffix) end
end
redis.call('HSET', base, 'record', ARGV[1], unpack(ARGV, 6))
redis.call('PEXPIRE', base, ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
if base == primary then return 1 end
return 0
`;

/**
 * An entry of one of the record's streams (alerts, transcript). KEYS: primary, own. ARGV: record,
 * activeTtlMs, stream suffix, event JSON, 1 to count it as an alert.
 */
export const STREAM_SCRIPT = `${RESOLVE}
redis.call('XADD', base .. ARGV[3], 'MAXLEN', '~', 10000, '*', 'event', ARGV[4])
redis.call('PEXPIRE', base .. ARGV[3], ARGV[2])
if ARGV[5] == '1' then redis.call('HINCRBY', base, 'alertCount', 1) end
return 1
`;

/** Sets fields of the record's hash (e.g. the call's driver). KEYS: primary, own. ARGV: record, field/value pairs. */
export const FIELDS_SCRIPT = `${RESOLVE}
redis.call('HSET', base, unpack(ARGV, 2))
return 1
`;

/** Tags. KEYS: primary, own. ARGV: record, activeTtlMs, tags... Returns the tag count. */
export const TAGS_SCRIPT = `${RESOLVE}
redis.call('SADD', base .. ':tags', unpack(ARGV, 3))
redis.call('PEXPIRE', base .. ':tags', ARGV[2])
local count = redis.call('SCARD', base .. ':tags')
redis.call('HSET', base, 'tagsCount', count)
return count
`;

/**
 * The call ended. KEYS: primary, own. ARGV: record, retentionMs, suffixes, summary JSON, tag count
 * n, n tags, then the hash's field/value pairs. Every key of the record expires after retention.
 */
const END_BODY = `
local n = tonumber(ARGV[5])
if n > 0 then redis.call('SADD', base .. ':tags', unpack(ARGV, 6, 5 + n)) end
redis.call('HSET', base, unpack(ARGV, 6 + n))
redis.call('SET', base .. ':summary', ARGV[4])
redis.call('PEXPIRE', base, ARGV[2])
for suffix in string.gmatch(ARGV[3], '%S+') do redis.call('PEXPIRE', base .. suffix, ARGV[2]) end
return 1
`;
export const END_SCRIPT = `${RESOLVE}${END_BODY}`;

/**
 * END_SCRIPT for a summary from the spool (summary-spool.ts), which may have landed already (a write
 * that timed out client-side still runs when Redis resumes): returns 0 and changes nothing when the
 * record already holds this very summary, so replaying twice is harmless.
 */
export const REPLAY_END_SCRIPT = `${RESOLVE}
if redis.call('GET', base .. ':summary') == ARGV[4] then return 0 end
${END_BODY}`;

/**
 * Crash recovery: a record left active by a dead engine process gets its rebuilt summary and end
 * fields. KEYS: primary, own. ARGV: record, retentionMs, suffixes, summary JSON, then the hash's
 * field/value pairs. Writes only while the record exists and is still 'active' (a late real end, or
 * another process recovering it first, wins); returns 1 when it wrote.
 */
export const RECOVER_SCRIPT = `
local base
if redis.call('HGET', KEYS[1], 'record') == ARGV[1] then
  base = KEYS[1]
elseif redis.call('EXISTS', KEYS[2]) == 1 then
  base = KEYS[2]
else
  return 0
end
if redis.call('HGET', base, 'state') ~= 'active' then return 0 end
redis.call('HSET', base, unpack(ARGV, 5))
redis.call('SET', base .. ':summary', ARGV[4])
redis.call('PEXPIRE', base, ARGV[2])
for suffix in string.gmatch(ARGV[3], '%S+') do redis.call('PEXPIRE', base .. suffix, ARGV[2]) end
return 1
`;
