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

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
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
  return tostring(pause_until)
end
return tostring(current)
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

    def _keys(self, platform: str) -> tuple[str, str, str]:
        base = f"{self.prefix}:{platform}"
        return f"{base}:tat", f"{base}:leases", f"{base}:pause"

    def try_acquire(self, platform: str, limit: Limit, lease: str, lease_ttl: float) -> Grant:
        state, wait, reason = self._acquire(
            keys=self._keys(platform),
            args=[
                repr(limit.interval),
                limit.burst,
                limit.max_concurrent,
                lease,
                repr(lease_ttl),
                repr(RESERVE_AHEAD),
            ],
        )
        return Grant(_text(state), float(wait), _text(reason))

    def release(self, platform: str, lease: str) -> None:
        self.client.zrem(self._keys(platform)[1], lease)

    def pause(self, platform: str, seconds: float, reason: str) -> float:
        return float(self._pause(keys=[self._keys(platform)[2]], args=[repr(seconds), reason]))

    def resume(self, platform: str) -> None:
        self.client.delete(self._keys(platform)[2])

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

    def try_acquire(self, platform: str, limit: Limit, lease: str, lease_ttl: float) -> Grant:
        with self._lock:
            now = self.now()
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
