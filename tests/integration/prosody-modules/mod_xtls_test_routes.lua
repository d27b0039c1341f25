-- Test-only Prosody module (tests/integration/servers.py): loopback federation without DNS.
--
--   xtls_test_s2s_routes = { ["b.localhost"] = { "127.0.0.2", 5269 } }
--       s2s to a listed domain goes to that address and port; Prosody 0.12 has no static
--       route option, so net.resolvers.service.new is wrapped for those domains only.
--   xtls_test_plain_c2s = true
--       no STARTTLS on client connections, while s2s still does TLS (the wire recorder of
--       the tests must read what crossed the client connections; libpurple always takes
--       STARTTLS when it is offered). mod_tls reuses session.ssl_ctx when it is not nil.
local routes = module:get_option("xtls_test_s2s_routes", {});
local service = require "net.resolvers.service";
local basic = require "net.resolvers.basic";

if not service._xtls_test_original_new then
	service._xtls_test_original_new = service.new;
end
local original_new = service._xtls_test_original_new;

service.new = function (hostname, svc, conn_type, extra)
	local route = routes[hostname];
	if route and svc == "xmpp-server" then
		module:log("info", "s2s route for %s: %s port %d", hostname, route[1], route[2]);
		return basic.new(route[1], route[2], conn_type, extra);
	end
	return original_new(hostname, svc, conn_type, extra);
end

function module.unload()
	service.new = original_new;
end

if module:get_option_boolean("xtls_test_plain_c2s", false) then
	module:hook("stream-features", function (event)
		local session = event.origin;
		if session.type == "c2s_unauthed" and session.ssl_ctx == nil then
			session.ssl_ctx = false;
		end
	end, 1000);
end
