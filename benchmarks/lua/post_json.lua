-- POST the file named after `--` (a JSON document) to the URL, as application/json.
-- wrk -s post_json.lua http://127.0.0.1:8080/echo -- body.json
function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
