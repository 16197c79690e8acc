// The route table as an Express 5 app with default router options (case-insensitive,
// non-strict: `/ADMIN` and `/admin/` reach the /admin handler) and method-override, set up
// the way its README shows: the X-HTTP-Method-Override header, and `_method` from a
// POST body (urlencoded, or JSON as Laravel reads it) through the README's custom getter.
// Listens on 127.0.0.1, port 0; prints `listening <port>` when ready (global-setup.mjs).
import express from "express";
import methodOverride from "method-override";

const app = express();
// Both body parsers, as most apps have them; both inflate a gzip or deflate body.
app.use(express.json());
app.use(express.urlencoded({ extended: false }));
app.use(methodOverride("X-HTTP-Method-Override"));
app.use(
  methodOverride((req) => {
    if (req.body && typeof req.body === "object" && "_method" in req.body) {
      const method = req.body._method;
      delete req.body._method;
      return method;
    }
    return undefined;
  }),
);

const handler = (name) => (req, res) => res.json({ handler: name, method: req.method });

app.get("/public/*rest", handler("public"));
app.route("/admin").get(handler("admin-index")).post(handler("admin-index"));
app.get("/admin/:x", handler("admin-item"));
app.route("/api/reports/:id").get(handler("report-show")).post(handler("report-update")).delete(handler("report-delete"));
app.get("/keys", handler("keys"));
// Express's own 404 (finalhandler) for everything else.

const server = app.listen(0, "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
// Keep idle connections longer than the gateway's pool does, as a Node app behind a proxy must:
// with Node's 5 s default the origin may close one as a request is sent on it (seen as 502s).
server.keepAliveTimeout = 120_000;
