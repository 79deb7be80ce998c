//! `/openapi.json`: the API's OpenAPI 3.1 document.
//!
//! Written here beside the routes rather than derived (utoipa would need
//! its annotations on the record's types in `guardrail-audit`); the tests
//! keep it true: every documented path answers, and the approval schema's
//! fields are exactly those a serialized request has.

use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn approval_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Approval"}}}})
}

fn id_parameter() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^apr-[0-9a-f]{16}$"}})
}

/// A change to a request: approve, deny or cancel.
fn change(operation: &str, summary: &str, description: &str, bad_request: &str) -> Value {
    json!({"post": {
        "operationId": operation,
        "summary": summary,
        "description": description,
        "parameters": [id_parameter()],
        "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
        "responses": {
            "200": approval_response("The request after the change."),
            "400": error_response(bad_request),
            "401": error_response("`unauthenticated`: no token, or not a known one."),
            "403": error_response("`forbidden`: this identity may not make this change (the requester, whom an agent acts for, not a person, or without the rule's role)."),
            "404": error_response("`not_found`: no such request."),
            "409": error_response("`conflict`: the request is no longer pending, or this person already answered."),
        },
    }})
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Guardrail",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The approvals API of `guardrail serve`: see the actions the gate holds for a person, and approve, deny or cancel them. Every call but /healthz needs a bearer token (`guardrail serve token add`); a caller acts as its token's identity.",
        },
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {"get": {"operationId": "health", "summary": "Liveness", "security": [], "responses": {"200": {"description": "The daemon answers.", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ok"}}}}}}}}},
            "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics", "responses": {
                "200": {"description": "Decisions by verdict and intent, decision and record latency, approvals pending.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "401": error_response("`unauthenticated`."),
            }}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}}}},
            "/v1/approvals": {"get": {
                "operationId": "listRequests",
                "summary": "List approval requests, newest first",
                "parameters": [
                    {"name": "state", "in": "query", "schema": {"$ref": "#/components/schemas/State"}, "description": "Only requests in this state as of now."},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                ],
                "responses": {
                    "200": {"description": "The requests.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Approval"}}}}},
                    "400": error_response("`bad_request`: an unknown state, or a limit out of range."),
                    "401": error_response("`unauthenticated`."),
                },
            }},
            "/v1/approvals/{id}": {"get": {
                "operationId": "getRequest",
                "summary": "One approval request",
                "parameters": [id_parameter()],
                "responses": {"200": approval_response("The request, as of now."), "401": error_response("`unauthenticated`."), "404": error_response("`not_found`.")},
            }},
            "/v1/approvals/{id}/approve": change("approveRequest", "Approve", "A person's approval; with enough of them the identical action may run once, within the approval's validity.", "`bad_request`: the body is not a JSON object with at most a `reason`."),
            "/v1/approvals/{id}/deny": change("denyRequest", "Deny", "A person's denial, with a reason: it ends the request.", "`reason_required`: a denial needs a reason; `bad_request`: the body is not a JSON object with at most a `reason`."),
            "/v1/approvals/{id}/cancel": change("cancelRequest", "Cancel", "The requester (or whom an agent acts for) withdraws the request.", "`bad_request`: the body is not a JSON object with at most a `reason`."),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "grt_ followed by 64 hex digits"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"enum": ["unauthenticated", "forbidden", "not_found", "conflict", "reason_required", "bad_request", "too_large", "internal"]},
                    "message": {"type": "string"},
                }}}},
                "Reason": {"type": "object", "additionalProperties": false, "properties": {"reason": {"type": "string", "description": "Why, in the caller's words; recorded with secrets masked."}}},
                "State": {"enum": ["pending", "approved", "denied", "expired", "cancelled", "consumed"]},
                "Actor": {"type": "object", "required": ["id", "kind"], "properties": {
                    "id": {"type": "string"}, "kind": {"enum": ["agent", "human"]}, "on_behalf_of": {"type": "string"},
                }},
                "Vote": {"type": "object", "required": ["by", "approve", "reason", "at"], "properties": {
                    "by": {"type": "string"}, "approve": {"type": "boolean"}, "reason": {"type": "string"}, "at": {"type": "integer", "description": "Nanoseconds since the Unix epoch."},
                }},
                "Approval": {"type": "object", "required": ["id", "digest", "policy_version", "actor", "kind", "channel", "target", "text", "rule", "reason", "needed", "state", "state_now", "node", "decision_seq", "requested_at", "wait_until", "valid_for"], "properties": {
                    "id": {"type": "string"},
                    "digest": {"type": "string", "description": "The held action's canonical digest: what the approval binds to."},
                    "policy_version": {"type": "string"},
                    "actor": {"$ref": "#/components/schemas/Actor"},
                    "kind": {"enum": ["sql", "shell", "tool"]},
                    "channel": {"type": "string"},
                    "target": {"type": "string"},
                    "cwd": {"type": "string", "description": "The working directory the action was judged in (a relative path's meaning): part of what the approval binds."},
                    "environment": {"type": "string", "description": "The environment the action was judged in: part of what the approval binds."},
                    "roles": {"type": "array", "items": {"type": "string"}, "description": "The requester's roles: part of what the approval binds."},
                    "text": {"type": "string", "description": "The action's exact text, secrets masked."},
                    "rule": {"type": "string"},
                    "reason": {"type": "string"},
                    "approver_role": {"type": "string"},
                    "needed": {"type": "integer", "minimum": 1},
                    "state": {"$ref": "#/components/schemas/State", "description": "As last stored."},
                    "state_now": {"$ref": "#/components/schemas/State", "description": "As of the answer (a request past its clock has expired)."},
                    "node": {"type": "string"},
                    "decision_seq": {"type": "integer"},
                    "requested_at": {"type": "integer", "description": "Nanoseconds since the Unix epoch."},
                    "wait_until": {"type": "integer"},
                    "valid_for": {"type": "integer", "description": "Nanoseconds an approval stays usable."},
                    "valid_until": {"type": "integer"},
                    "votes": {"type": "array", "items": {"$ref": "#/components/schemas/Vote"}},
                    "cancelled_by": {"type": "string"},
                    "consumed_by": {"type": "integer", "description": "The record of the action the approval let run."},
                }},
            },
        },
    })
}
