namespace L4Balancer.Core.Cluster;

/// <summary>
/// The one Redis round trip of a sync (<see cref="ClusterMember"/>), run atomically by Redis: the
/// member's heartbeat, the expiry of members that stopped beating, and for each of the member's tenants
/// its new lease of the fleet-wide limits. Atomic because a lease is only safe if the sum of every
/// member's lease never exceeds the limit; Redis runs one script at a time, so no two members can
/// grant themselves the same free capacity.
/// </summary>
/// <remarks>
/// <para>State: <c>{prefix}members</c>, a sorted set of member ids scored by the time (Redis's own
/// clock, <c>TIME</c>, so members' clocks do not matter) at which they expire; <c>{prefix}tenant:{name}</c>,
/// a hash from member id to <c>"used want lease rate_demand rate_lease"</c>; <c>{prefix}drains</c>, the
/// fleet's drained backends, returned so every sync reconciles them.</para>
/// <para>The lease rule, for connections (the rate works the same way on a share of tokens per second):
/// a member reports its <c>cap</c>, the limit it enforces now, which it only ever lowers on its own
/// (to <c>max(used, target)</c>); Redis sets the member's lease to that cap, then grows it toward the
/// member's <c>target</c> out of what no lease holds. Targets divide the limit in proportion to
/// <c>want + 1</c> (want = open connections + those refused since the last sync), so capacity moves
/// toward demand and an idle fleet splits it evenly. Because a lease shrinks only after the member has
/// stopped using the capacity, and grows only out of capacity no other lease holds, the sum of the
/// caps the members enforce never exceeds the limit while Redis answers.</para>
/// <para>A member whose entry expired (or a new one) rejoins with <c>min(cap, free)</c>: what it admitted
/// meanwhile under its fallback policy is not taken into account here (that is the documented overshoot).</para>
/// ARGV: member id, ttl (ms), then per tenant (KEYS[3..]) seven numbers: limit, used, want, cap, rate,
/// rate demand, rate cap. Returns: the live member ids, the drained backends, then per
/// tenant: lease, target, rate lease and rate target (the last two as strings: Lua numbers returned to
/// Redis are truncated to integers).
/// </remarks>
internal static class LeaseScript
{
    public const int ArgsPerTenant = 7;

    public const string Sync = """
        local id = ARGV[1]
        local ttl = tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local rejoining = not redis.call('ZSCORE', KEYS[1], id)
        redis.call('ZADD', KEYS[1], now + ttl, id)
        redis.call('PEXPIRE', KEYS[1], ttl * 10)
        local live = redis.call('ZRANGE', KEYS[1], 0, -1)
        local isLive = {}
        for _, m in ipairs(live) do isLive[m] = true end
        local result = { live, redis.call('SMEMBERS', KEYS[2]) }

        -- Largest-remainder split of total in proportion to weight[m], members in id order, so every
        -- member computes the same split; returns the share of member `me`.
        local function split(total, weights, me, whole)
          local sum = 0
          for _, m in ipairs(live) do sum = sum + weights[m] end
          if not whole then return total * weights[me] / sum end
          local given, shares, rest = 0, {}, {}
          for i, m in ipairs(live) do
            local exact = total * weights[m] / sum
            shares[m] = math.floor(exact)
            given = given + shares[m]
            rest[i] = { m = m, r = exact - shares[m] }
          end
          table.sort(rest, function(a, b) if a.r ~= b.r then return a.r > b.r end return a.m < b.m end)
          for i = 1, total - given do shares[rest[i].m] = shares[rest[i].m] + 1 end
          return shares[me]
        end

        for k = 3, #KEYS do
          local key = KEYS[k]
          local a = 3 + (k - 3) * 7
          local limit, used, want, cap = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
          local rate, rdemand, rcap = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
          local rec = {}
          local all = redis.call('HGETALL', key)
          for j = 1, #all, 2 do
            local m = all[j]
            if isLive[m] and not (m == id and rejoining) then
              local u, w, l, rw, rl = string.match(all[j + 1], '^(%S+) (%S+) (%S+) (%S+) (%S+)$')
              rec[m] = { u = tonumber(u), w = tonumber(w), l = tonumber(l), rw = tonumber(rw), rl = tonumber(rl) }
            elseif m ~= id then
              redis.call('HDEL', key, m)
            end
          end

          local lease, target, rlease, rtarget = 0, 0, 0, 0
          local others, rothers = 0, 0
          for m, r in pairs(rec) do
            if m ~= id then others = others + r.l; rothers = rothers + r.rl end
          end

          if limit > 0 then
            if rec[id] then lease = math.min(cap, rec[id].l) else lease = math.max(0, math.min(cap, limit - others)) end
            local weights = {}
            for _, m in ipairs(live) do
              local w = (m == id) and want or (rec[m] and rec[m].w or 0)
              weights[m] = w + 1
            end
            target = split(limit, weights, id, true)
            local free = limit - others - lease
            if target > lease and free > 0 then lease = lease + math.min(target - lease, free) end
          end

          if rate > 0 then
            if rec[id] then rlease = math.min(rcap, rec[id].rl) else rlease = math.max(0, math.min(rcap, rate - rothers)) end
            -- An idle member weighs 1 % of the rate, so an idle fleet splits the rate evenly.
            local weights = {}
            for _, m in ipairs(live) do
              local d = (m == id) and rdemand or (rec[m] and rec[m].rw or 0)
              weights[m] = d + rate / 100
            end
            rtarget = split(rate, weights, id, false)
            local free = rate - rothers - rlease
            if rtarget > rlease and free > 0 then rlease = rlease + math.min(rtarget - rlease, free) end
          end

          redis.call('HSET', key, id, used .. ' ' .. want .. ' ' .. lease .. ' ' .. rdemand .. ' ' .. rlease)
          redis.call('PEXPIRE', key, ttl * 10)
          result[#result + 1] = lease
          result[#result + 1] = target
          result[#result + 1] = tostring(rlease)
          result[#result + 1] = tostring(rtarget)
        end
        return result
        """;

    /// <summary>A member leaving cleanly (shutdown, or the old process at the end of an upgrade) gives its leases back at once.</summary>
    public const string Leave = """
        redis.call('ZREM', KEYS[1], ARGV[1])
        for k = 2, #KEYS do redis.call('HDEL', KEYS[k], ARGV[1]) end
        return 0
        """;
}
