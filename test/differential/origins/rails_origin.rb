# The route table as Rails routing: an ActionDispatch::Routing::RouteSet drawn the way a
# config/routes.rb would (so every route gets Rails' optional `(.:format)` suffix: /admin.json
# reaches the /admin handler), with Rack::MethodOverride in front as in every Rails app's
# middleware stack (`_method` in a urlencoded or multipart POST body, X-HTTP-Method-Override).
# Debian's ruby-actionpack, ruby-rack, ruby-webrick. Listens on 127.0.0.1, port 0; prints
# `listening <port>` when ready.
require "json"
require "action_dispatch"
require "rack"
require "webrick"

def handler(name)
  lambda do |env|
    body = JSON.generate({ handler: name, method: env["REQUEST_METHOD"] })
    [200, { "Content-Type" => "application/json" }, [body]]
  end
end

routes = ActionDispatch::Routing::RouteSet.new
routes.draw do
  get "/public/*rest" => handler("public")
  match "/admin" => handler("admin-index"), via: [:get, :post]
  get "/admin/:x" => handler("admin-item")
  get "/api/reports/:id" => handler("report-show")
  post "/api/reports/:id" => handler("report-update")
  delete "/api/reports/:id" => handler("report-delete")
  get "/keys" => handler("keys")
end

app = Rack::Builder.new do
  use Rack::MethodOverride
  run routes
end

$stdout.sync = true
Rack::Handler::WEBrick.run(
  app,
  Host: "127.0.0.1",
  Port: 0,
  AccessLog: [],
  Logger: WEBrick::Log.new($stderr, WEBrick::Log::WARN),
) do |server|
  # WEBrick runs StartCallback once the socket is bound (Port 0 is then the real port).
  server.config[:StartCallback] = -> { puts "listening #{server.config[:Port]}" }
end
