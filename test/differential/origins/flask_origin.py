# The route table as a Flask app, Werkzeug's router as it comes (case-sensitive, strict
# slashes, the path percent-decoded before matching). Run by Debian's /usr/bin/python3
# (python3-flask). Listens on 127.0.0.1, port 0; prints `listening <port>` when ready.
import logging

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

app = Flask(__name__)


def answer(name):
    return jsonify(handler=name, method=request.method)


@app.get("/public/<path:rest>")
def public(rest):
    return answer("public")


@app.route("/admin", methods=["GET", "POST"])
def admin_index():
    return answer("admin-index")


@app.get("/admin/<x>")
def admin_item(x):
    return answer("admin-item")


@app.route("/api/reports/<id>", methods=["GET", "POST", "DELETE"])
def report(id):
    names = {"GET": "report-show", "HEAD": "report-show", "POST": "report-update", "DELETE": "report-delete"}
    return answer(names[request.method])


@app.get("/keys")
def keys():
    return answer("keys")


if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"listening {server.port}", flush=True)
    server.serve_forever()
