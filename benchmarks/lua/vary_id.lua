-- GET <prefix><n>, n cycling 1..count, so that caches keyed by path keep missing.
-- wrk -s vary_id.lua http://127.0.0.1:8080 -- /r999/ 10000
local prefix, count, n

function init(args)
  prefix = args[1]
  count = tonumber(args[2] or "10000")
  n = 0
end

function request()
  n = n % count + 1
  return wrk.format(nil, prefix .. n)
end
