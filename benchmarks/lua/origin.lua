-- Send every request with an Origin header, as a browser does for a cross-origin call.
-- wrk -s origin.lua http://127.0.0.1:8080/ -- https://app.example.com
function init(args)
  wrk.headers["Origin"] = args[1]
end
