"""GET /api/v1/openapi.json: built from the registered routes, so it cannot drift from them."""
from __future__ import annotations

from flask import jsonify

from motions.api import ROUTES, route
from motions.api.schemas import ERROR

DESCRIPTIONS = {
    400: "Malformed JSON or request", 401: "No or bad token", 403: "Your role does not allow it",
    404: "No such thing", 409: "State conflict", 413: "Body over the limit", 422: "Validation failed",
    429: "Too many failed attempts: wait for the Retry-After seconds",
}
SUCCESS = {200: "OK", 201: "Created", 204: "No Content"}


def build() -> dict:
    paths: dict = {}
    for r in ROUTES:
        op = {"summary": r["summary"], "operationId": f"{r['method']}_{r['path']}".replace("/", "_").replace("{", "").replace("}", ""),
              "parameters": r["params"], "responses": {}}
        if r["action"] == "public":
            op["security"] = []
        if r["body"] is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": r["body"]}}}
        op["responses"][str(r["status"])] = {"description": SUCCESS.get(r["status"], "OK")}
        if r["status"] != 204:  # a 204 has no body, so no media type either
            op["responses"][str(r["status"])]["content"] = {
                media: {"schema": r["response"] or {}}
                for media in ((r["media"],) if isinstance(r["media"], str) else r["media"])}
        errors = set(r["errors"])
        if r["body"] is not None:
            errors |= {400, 413, 422}  # every JSON body can be malformed, too large or invalid
        if r["action"] != "public":
            errors.add(401)
        for status in sorted(errors):
            op["responses"][str(status)] = {"description": DESCRIPTIONS.get(status, "Error"),
                                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        paths.setdefault(r["path"], {})[r["method"]] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "motions API", "version": "1.0.0",
                 "description": "Meetings, documents split into clauses, amendments and votes. "
                                "Errors always have the body {\"error\": {\"code\", \"message\", \"fields\"}}."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


@route("/openapi.json", "GET", action="public", summary="This description")
def openapi():
    return jsonify(build())
