"""Where the buckets live: Redis, shared by every worker process, or this process alone.

The Redis side is one Lua script per action, so that checking a pause, taking a
concurrency slot and reserving a turn happen as one step for all workers. Time is
Redis's own clock, so workers whose clocks differ still share one timeline.

The rate is kept as a generic cell rate (a "theoretical arrival time" per platform):
once the burst is spent, turns are granted one interval apart. A turn is granted only
when it is due, and the request goes out at once: a turn reserved ahead and slept
towards could be sent late by a busy worker, and the next one on time, and two then
reach the platform closer than the interval (the rate-limit benchmark saw a second of
21 against a limit of 20 that way). Waiters sleep until the next turn is due and ask
again.
"""

import threading
import time
from dataclasses import dataclass

from .limits import Limit

# How far ahead a turn may be granted: none (see above).
RESERVE_AHEAD = 0.0

# How long a platform stays in the list of those seen after its last request.
SEEN_SECONDS = 7 * 86400

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[4], now, ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[8]))
redis.call('EXPIRE', KEYS[4], ARGV[8])
local paused = tonumber(redis.call('HGET', KEYS[3], 'until') or '0')
if paused > now then
  return {'paused', tostring(paused - now), redis.call('HGET', KEYS[3], 'reason') or ''}
end
local max_concurrent = tonumber(ARGV[3])
if max_concurrent > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= max_concurrent then
    return {'busy', '0', ''}
  end
end
local interval = tonumber(ARGV[1])
local wait = 0
if interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  if tat < now then tat = now end
  wait = tat - (tonumber(ARGV[2]) - 1) * interval - now
  if wait < 0 then wait = 0 end
  if wait > tonumber(ARGV[6]) then
    return {'wait', tostring(wait - tonumber(ARGV[6])), ''}
  end
  local next_tat = tat + interval
  redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil((next_tat - now) * 1000) + 1000)
end
if max_concurrent > 0 then
  redis.call('ZADD', KEYS[2], now + wait + tonumber(ARGV[5]), ARGV[4])
  redis.call('EXPIRE', KEYS[2], math.ceil(wait + tonumber(ARGV[5])) + 60)
end
return {'ok', tostring(wait), ''}
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local pause_until = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if pause_until > current then
  redis.call('HSET', KEYS[1], 'until', tostring(pause_until), 'reason', ARGV[2], 'since', tostring(now))
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1])) + 86400)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], pause_until, ARGV[3])
  redis.call('EXPIRE', KEYS[2], math.ceil(tonumber(ARGV[1])) + 86400)
  return tostring(pause_until)
end
return tostring(current)
"""

# One turn for each of many platforms at once (the username sites of a run: one round
# trip for hundreds of them); a platform named twice gets two turns, in order. Unlike
# _ACQUIRE a turn may be granted ahead, up to a wait the caller accepts, since each
# platform here gets one request, not a stream of them.
# KEYS: the platforms seen (by last time), the platforms paused (by end), then a (turn,
# pause) pair per platform. Pauses are read from the set of those paused, which is
# usually empty, rather than from each platform's own record (hundreds of reads).
# ARGV: seconds the seen set is kept, the longest wait, then one line per platform,
# "name<TAB>interval<TAB>burst". The answer is one line per platform too,
# "state<TAB>wait<TAB>reason": hundreds of separate arguments and answers cost more to
# encode and parse on the client than the script takes to run (measured).
_RESERVE = r"""
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local max_wait = tonumber(ARGV[2])
local paused_until = {}
local rows = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. tostring(now), '+inf', 'WITHSCORES')
for j = 1, #rows, 2 do
  paused_until[rows[j]] = tonumber(rows[j + 1])
end
local out, seen = {}, {}
local i = 0
for name, interval_text, burst_text in string.gmatch(ARGV[3], '([^\t\n]+)\t([^\t\n]+)\t([^\t\n]+)') do
  i = i + 1
  local turn_key, pause_key = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local interval, burst = tonumber(interval_text), tonumber(burst_text)
  table.insert(seen, now)
  table.insert(seen, name)
  if #seen >= 1000 then
    redis.call('ZADD', KEYS[1], unpack(seen))
    seen = {}
  end
  local paused = paused_until[name] or 0
  local state, wait, reason = 'ok', 0, ''
  if paused > now then
    state, wait = 'paused', paused - now
    reason = string.gsub(redis.call('HGET', pause_key, 'reason') or '', '[\t\n]', ' ')
  elseif interval > 0 then
    local tat = tonumber(redis.call('GET', turn_key) or '0')
    if tat < now then tat = now end
    wait = tat - (burst - 1) * interval - now
    if wait < 0 then wait = 0 end
    if wait > max_wait then
      state = 'wait'
    else
      local next_tat = tat + interval
      redis.call('SET', turn_key, tostring(next_tat), 'PX', math.ceil((next_tat - now) * 1000) + 1000)
    end
  end
  out[i] = state .. '\t' .. tostring(wait) .. '\t' .. reason
end
if #seen > 0 then
  redis.call('ZADD', KEYS[1], unpack(seen))
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return table.concat(out, '\n')
"""

# Turns taken and not used given back: each platform's next turn moves one interval
# earlier, never before now (as if the turn had not been taken).
# KEYS: a turn key per platform. ARGV: the interval of each.
_GIVE_BACK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  local interval = tonumber(ARGV[i])
  if interval > 0 and tat > now then
    local earlier = math.max(now, tat - interval)
    redis.call('SET', KEYS[i], tostring(earlier), 'PX', math.ceil((earlier - now) * 1000) + 1000)
  end
end
return #KEYS
"""


@dataclass(frozen=True)
class Grant:
    state: str  # "ok", "paused", "busy" (no concurrency slot), "wait" (line too long)
    wait: float  # ok: sleep this long before sending; otherwise: before asking again
    reason: str = ""


@dataclass(frozen=True)
class PlatformState:
    paused_until: float | None  # Unix time
    pause_reason: str
    in_flight: int


class RedisBuckets:
    shared = True

    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._pause = client.register_script(_PAUSE)
        self._reserve = client.register_script(_RESERVE)
        self._give_back = client.register_script(_GIVE_BACK)

    def _keys(self, platform: str) -> tuple[str, str, str]:
        base = f"{self.prefix}:{platform}"
        return f"{base}:tat", f"{base}:leases", f"{base}:pause"

    @property
    def _seen_key(self) -> str:
        return f"{self.prefix}::seen-at"

    @property
    def _paused_key(self) -> str:
        return f"{self.prefix}::paused"

    def try_acquire(self, platform: str, limit: Limit, lease: str, lease_ttl: float) -> Grant:
        state, wait, reason = self._acquire(
            keys=[*self._keys(platform), self._seen_key],
            args=[
                repr(limit.interval),
                limit.burst,
                limit.max_concurrent,
                lease,
                repr(lease_ttl),
                repr(RESERVE_AHEAD),
                platform,
                SEEN_SECONDS,
            ],
        )
        return Grant(_text(state), float(wait), _text(reason))

    def reserve_many(self, wanted: list[tuple[str, Limit]], max_wait: float) -> list[Grant]:
        if not wanted:
            return []
        keys, lines = [self._seen_key, self._paused_key], []
        for platform, limit in wanted:
            if "\t" in platform or "\n" in platform:
                raise ValueError(f"a platform name holds a tab or a line break: {platform!r}")
            tat, _, pause = self._keys(platform)
            keys += [tat, pause]
            lines.append(f"{platform}\t{limit.interval!r}\t{limit.burst}")
        answer = self._reserve(keys=keys, args=[SEEN_SECONDS, repr(max_wait), "\n".join(lines)])
        grants = []
        for line in _text(answer).split("\n"):
            state, wait, reason = line.split("\t")
            grants.append(Grant(state, float(wait), reason))
        return grants

    def give_back(self, unused: list[tuple[str, Limit]]) -> None:
        if unused:
            self._give_back(
                keys=[self._keys(platform)[0] for platform, _ in unused],
                args=[repr(limit.interval) for _, limit in unused],
            )

    def release(self, platform: str, lease: str) -> None:
        self.client.zrem(self._keys(platform)[1], lease)

    def pause(self, platform: str, seconds: float, reason: str) -> float:
        return float(
            self._pause(
                keys=[self._keys(platform)[2], self._paused_key],
                args=[repr(seconds), reason, platform],
            )
        )

    def resume(self, platform: str) -> None:
        with self.client.pipeline() as pipe:
            pipe.delete(self._keys(platform)[2])
            pipe.zrem(self._paused_key, platform)
            pipe.execute()

    def seen(self) -> set[str]:
        since = self.now() - SEEN_SECONDS
        return {_text(name) for name in self.client.zrangebyscore(self._seen_key, since, "+inf")}

    def paused(self) -> list[tuple[str, float, str]]:
        """Platforms paused now: (name, until as Unix time, reason), soonest end first."""
        now = self.now()
        rows = self.client.zrangebyscore(self._paused_key, now, "+inf", withscores=True)
        with self.client.pipeline() as pipe:
            for name, _ in rows:
                pipe.hget(self._keys(_text(name))[2], "reason")
            reasons = pipe.execute()
        return [
            (_text(name), until, _text(reason or b""))
            for (name, until), reason in zip(rows, reasons, strict=True)
        ]

    def state(self, platform: str) -> PlatformState:
        _, leases, pause = self._keys(platform)
        now = self.now()
        with self.client.pipeline() as pipe:
            pipe.hgetall(pause)
            pipe.zcount(leases, now, "+inf")
            paused, in_flight = pipe.execute()
        until = float(paused.get(b"until", 0) or 0)
        return PlatformState(
            until if until > now else None,
            _text(paused.get(b"reason", b"")) if until > now else "",
            int(in_flight),
        )

    def now(self) -> float:
        seconds, micros = self.client.time()
        return seconds + micros / 1_000_000


class LocalBuckets:
    """The same rules for one process, for installations without Redis."""

    shared = False

    def __init__(self):
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}
        self._leases: dict[str, dict[str, float]] = {}
        self._pauses: dict[str, tuple[float, str]] = {}
        self._seen: set[str] = set()

    def try_acquire(self, platform: str, limit: Limit, lease: str, lease_ttl: float) -> Grant:
        with self._lock:
            now = self.now()
            self._seen.add(platform)
            until, reason = self._pauses.get(platform, (0.0, ""))
            if until > now:
                return Grant("paused", until - now, reason)
            leases = self._leases.setdefault(platform, {})
            for name in [n for n, expiry in leases.items() if expiry <= now]:
                del leases[name]
            if limit.max_concurrent and len(leases) >= limit.max_concurrent:
                return Grant("busy", 0.0)
            wait = 0.0
            if limit.interval:
                tat = max(self._tat.get(platform, now), now)
                wait = max(0.0, tat - (limit.burst - 1) * limit.interval - now)
                if wait > RESERVE_AHEAD:
                    return Grant("wait", wait - RESERVE_AHEAD)
                self._tat[platform] = tat + limit.interval
            if limit.max_concurrent:
                leases[lease] = now + wait + lease_ttl
            return Grant("ok", wait)

    def reserve_many(self, wanted: list[tuple[str, Limit]], max_wait: float) -> list[Grant]:
        grants = []
        with self._lock:
            now = self.now()
            for platform, limit in wanted:
                self._seen.add(platform)
                until, reason = self._pauses.get(platform, (0.0, ""))
                if until > now:
                    grants.append(Grant("paused", until - now, reason))
                    continue
                wait = 0.0
                if limit.interval:
                    tat = max(self._tat.get(platform, now), now)
                    wait = max(0.0, tat - (limit.burst - 1) * limit.interval - now)
                    if wait > max_wait:
                        grants.append(Grant("wait", wait))
                        continue
                    self._tat[platform] = tat + limit.interval
                grants.append(Grant("ok", wait))
        return grants

    def give_back(self, unused: list[tuple[str, Limit]]) -> None:
        with self._lock:
            now = self.now()
            for platform, limit in unused:
                tat = self._tat.get(platform, 0.0)
                if limit.interval and tat > now:
                    self._tat[platform] = max(now, tat - limit.interval)

    def release(self, platform: str, lease: str) -> None:
        with self._lock:
            self._leases.get(platform, {}).pop(lease, None)

    def pause(self, platform: str, seconds: float, reason: str) -> float:
        with self._lock:
            until = self.now() + seconds
            current = self._pauses.get(platform, (0.0, ""))[0]
            if until > current:
                self._pauses[platform] = (until, reason)
            return max(until, current)

    def resume(self, platform: str) -> None:
        with self._lock:
            self._pauses.pop(platform, None)

    def seen(self) -> set[str]:
        with self._lock:
            return set(self._seen)

    def paused(self) -> list[tuple[str, float, str]]:
        with self._lock:
            now = self.now()
            rows = [(p, u, r) for p, (u, r) in self._pauses.items() if u > now]
        return sorted(rows, key=lambda row: row[1])

    def state(self, platform: str) -> PlatformState:
        with self._lock:
            now = self.now()
            until, reason = self._pauses.get(platform, (0.0, ""))
            live = [e for e in self._leases.get(platform, {}).values() if e > now]
            return PlatformState(
                until if until > now else None, reason if until > now else "", len(live)
            )

    def now(self) -> float:
        return time.time()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
