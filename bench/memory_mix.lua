-- bench/memory_mix.lua: the request mix of bench/bench_memory.py for wrk.
--   wrk ... -s bench/memory_mix.lua URL -- LIMIT ORIGIN DONEFILE
-- Each thread cycles through the list below and stops after LIMIT answers
-- (0: never), then appends a line to DONEFILE (wrk itself runs out its -d:
-- the caller sends it SIGINT once every thread wrote its line). Cached lists, form pages and bad input of every kind the public
-- site can be sent; the valid posts (a fresh form token each) come from
-- bench_memory.py's own threads. done() prints "STATUS code count" lines.
local reqs = {}
local i, n, limit, donefile = 0, 0, 0, nil
counts = {}

local function add(method, path, headers, body)
	reqs[#reqs + 1] = wrk.format(method, path, headers, body)
end

function init(args)
	limit = tonumber(args[1]) or 0
	local origin = args[2] or "http://127.0.0.1"
	donefile = args[3]
	local form = { ["Content-Type"] = "application/x-www-form-urlencoded",
		["Origin"] = origin, ["Accept"] = "application/json" }
	local big = string.rep("A", 5000)
	-- cached lists, plain and with the parameters browsers send
	add("GET", "/api/choices/departments")
	add("GET", "/api/choices/locations")
	add("GET", "/api/choices/categories?page=2&per_page=50")
	add("GET", "/api/choices/locations?q=zurich&format=select2&_type=query")
	add("GET", "/api/choices/priorities?format=html&selected=P2")
	add("GET", "/api/choices/departments")
	-- form pages (each issues a form token)
	add("GET", "/forms/it-request")
	add("GET", "/forms/it-request")
	-- bad parameters, oversized values, malformed query strings
	add("GET", "/api/choices/departments?nosuch=1")
	add("GET", "/api/choices/departments?page=abc&per_page=-5")
	add("GET", "/api/choices/departments?per_page=99999999999999999999")
	add("GET", "/api/choices/locations?q=" .. string.rep("%C3%A9", 150))
	add("GET", "/api/choices/departments?q=%zz%&&=&==&format=xml")
	add("GET", "/api/choices/departments?parent=" .. big)
	add("GET", "/api/choices/nosuch-source")
	add("GET", "/forms/nosuch-form")
	add("GET", "/forms/it-request?%00=%ff")
	-- junk posts: no token, a forged token, oversized values, bad bodies
	add("POST", "/forms/it-request", form, "requester_name=x&department=IT-010")
	add("POST", "/forms/it-request", form,
		"_token=v1.it-request.1.AAAA.BBBB&requester_name=" .. big .. "&description=" .. big)
	add("POST", "/forms/it-request", form, "%zz=%&&&=&" .. big)
	add("POST", "/forms/it-request", { ["Content-Type"] = "multipart/form-data; boundary=xyz",
		["Origin"] = origin }, "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" .. big)
	add("POST", "/forms/it-request", { ["Content-Type"] = "application/json",
		["Origin"] = origin }, "{\"requester_name\": [1, 2, {\"x\": null}]")
	add("POST", "/forms/it-request", { ["Content-Type"] = "application/x-www-form-urlencoded",
		["Origin"] = "http://evil.example" }, "requester_name=x")
end

function request()
	i = i % #reqs + 1
	return reqs[i]
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
	n = n + 1
	if limit > 0 and n == limit then
		wrk.thread:stop()
		if donefile then
			local f = io.open(donefile, "a")
			f:write("done\n")
			f:close()
		end
	end
end

local threads = {}

function setup(thread)
	threads[#threads + 1] = thread
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("counts") or {}) do
			total[k] = (total[k] or 0) + v
		end
	end
	for k, v in pairs(total) do
		io.write(string.format("STATUS %d %d\n", k, v))
	end
end
