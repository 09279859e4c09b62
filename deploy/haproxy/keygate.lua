-- Keygate's forward-auth check for HAProxy 2.6 or later (Lua 5.3, core.httpclient).
--
-- haproxy.cfg beside this file loads it ("lua-load") and runs it first in every
-- protected backend, followed by the rule that makes it fail closed:
--
--     http-request lua.keygate 127.0.0.1:9091
--     http-request deny deny_status 500 unless { var(txn.keygate_allowed) -m bool }
--
-- The argument is Keygate's server.address. For every request the action asks
-- Keygate's /api/authz/forward-auth, describing the original request in
-- X-Forwarded-Method, -Proto, -Host, -Uri and -For, which it builds from what
-- HAProxy itself received (a client's own X-Forwarded-* are never passed on), with
-- the client's Cookie and Accept. Then, by Keygate's answer:
--
--   2xx            the client's identity headers are removed (Remote-User,
--                  Remote-Groups, Remote-Email, Remote-Name, Remote-AMR, and the same names
--                  spelled with "_", which CGI, FastCGI and some application
--                  servers read alike), Keygate's five are set (empty if one were
--                  missing), the session cookie is taken out of Cookie (so that
--                  no application can replay it against the others; the other
--                  cookies stay), and the request goes on to the application
--   302, 303, 401  that status goes to the client with Keygate's Location (the
--                  portal, with the original URL encoded in rd) and, on 401,
--                  its WWW-Authenticate (a token or step-up challenge for an
--                  API client); without a Location, 500
--   403            403
--   anything else, Keygate unreachable or silent: 500 (HAProxy 2.6's httpclient
--                  tries up to four times, so that takes about 3 s when nothing
--                  listens and 4 x keygate_timeout when Keygate does not answer)
--
-- A request whose Host is not exactly one value (two Host lines, names joined with
-- commas) is answered 400 without asking: HAProxy's ACLs match any of the values,
-- so the backend may have been chosen by another name than the one sent to
-- Keygate. haproxy.cfg refuses these first; the script does not rely on it.
--
-- Only the 2xx branch sets txn.keygate_allowed, so the deny rule after the action
-- also stops a request if this script fails in a way it does not foresee.

-- How long Keygate may take to answer one attempt, in milliseconds. It answers in
-- well under a millisecond when healthy.
local keygate_timeout = 1000

-- The session cookie's name: Keygate's session.name.
local session_cookie = "keygate_session"

-- The headers Keygate answers with, and the spellings a client might forge them in.
local identity = { "Remote-User", "Remote-Groups", "Remote-Email", "Remote-Name", "Remote-AMR" }
local forged = {
	"Remote-User", "Remote-Groups", "Remote-Email", "Remote-Name", "Remote-AMR",
	"Remote_User", "Remote_Groups", "Remote_Email", "Remote_Name", "Remote_AMR",
}

-- joined returns every value of header name (lower case) in headers, a table as
-- HAProxy builds them (each name maps to its values, indexed from 0), joined with
-- sep; nil when the header is absent.
local function joined(headers, name, sep)
	local values = headers[name]
	if values == nil then
		return nil
	end
	local list = {}
	for i = 0, #values do
		if values[i] ~= nil then
			list[#list + 1] = values[i]
		end
	end
	return table.concat(list, sep)
end

-- ask sends the check to Keygate at address and returns its answer, or nil and
-- the reason when there is none.
local function ask(txn, address)
	local proto = "http"
	if txn.f:ssl_fc() then
		proto = "https"
	end
	local client = txn.http:req_get_headers()
	local headers = {
		["X-Forwarded-Method"] = { txn.f:method() },
		["X-Forwarded-Proto"] = { proto },
		["X-Forwarded-Host"] = { txn.f:req_hdr("host") },
		["X-Forwarded-Uri"] = { txn.f:pathq() },
		["X-Forwarded-For"] = { txn.f:src() },
		["Cookie"] = { joined(client, "cookie", "; ") },
		["Accept"] = { joined(client, "accept", ", ") },
	}
	local ok, answer = pcall(function()
		return core.httpclient():get({
			url = "http://" .. address .. "/api/authz/forward-auth",
			headers = headers,
			timeout = keygate_timeout,
		})
	end)
	if not ok then
		return nil, tostring(answer)
	end
	if answer == nil or answer.status == nil or answer.status == 0 then
		return nil, "no answer"
	end
	return answer
end

-- reply ends the transaction with status and, when not nil, location and
-- challenge (WWW-Authenticate).
local function reply(txn, status, location, challenge)
	local headers = {
		["cache-control"] = { "no-store" },
		["content-type"] = { "text/plain; charset=utf-8" },
	}
	if location ~= nil then
		headers["location"] = { location }
	end
	if challenge ~= nil and challenge ~= "" then
		headers["www-authenticate"] = { challenge }
	end
	txn:done(txn:reply({ status = status, headers = headers, body = "" }))
end

-- one_host reports whether the request names its host exactly once: one Host
-- line holding one value.
local function one_host(txn)
	return txn.f:req_fhdr_cnt("host") == 1 and txn.f:req_hdr_cnt("host") == 1
end

-- strip_session removes the session cookie from the request's Cookie headers,
-- keeping every other cookie, in one Cookie header.
local function strip_session(txn)
	local values = txn.http:req_get_headers()["cookie"]
	if values == nil then
		return
	end
	local kept = {}
	for i = 0, #values do
		for pair in string.gmatch(values[i] or "", "[^;]+") do
			local name = pair:match("^%s*([^=%s]*)")
			if name ~= session_cookie then
				kept[#kept + 1] = pair:match("^%s*(.-)%s*$")
			end
		end
	end
	txn.http:req_del_header("cookie")
	if #kept > 0 then
		txn.http:req_set_header("cookie", table.concat(kept, "; "))
	end
end

-- allow replaces the client's identity headers with Keygate's five and takes the
-- session cookie out.
local function allow(txn, answer)
	for _, name in ipairs(forged) do
		txn.http:req_del_header(name)
	end
	for _, name in ipairs(identity) do
		txn.http:req_set_header(name, joined(answer.headers, name:lower(), ", ") or "")
	end
	strip_session(txn)
	txn:set_var("txn.keygate_allowed", true)
end

local function check(txn, address)
	if not one_host(txn) then
		return reply(txn, 400)
	end
	local answer, reason = ask(txn, address)
	if answer == nil then
		txn:Warning("keygate: no answer from " .. address .. ": " .. reason .. "; answering 500\n")
		return reply(txn, 500)
	end
	local status = answer.status
	if status >= 200 and status <= 299 then
		return allow(txn, answer)
	end
	local location = joined(answer.headers, "location", ", ")
	if (status == 302 or status == 303 or status == 401) and location ~= nil and location ~= "" then
		local challenge = nil
		if status == 401 then
			challenge = joined(answer.headers, "www-authenticate", ", ")
		end
		return reply(txn, status, location, challenge)
	end
	if status == 403 then
		return reply(txn, 403)
	end
	-- HAProxy's own 503 and 504 stand for "unreachable" and "timed out".
	txn:Warning("keygate: check answered " .. status .. "; answering 500\n")
	return reply(txn, 500)
end

core.register_action("keygate", { "http-req" }, check, 1)
