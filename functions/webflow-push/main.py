"""Pushes events, venues, artists and organizations to Webflow sites (Cloud Tasks handler,
SPEC R-WF-2..7). Every push is an upsert by the recorded item id (or the item's slug), so a
task delivered twice changes the same items.

POST /  {"action": "publish" | "unpublish", "orgId", "siteId", "eventId"}   publishEvent's pushes
        {"action": "entity", "orgId", "entityType", "selloutId"}            venue/artist/org re-push
        {"taskId"}                                       an UpdateWebFlowEvent re-sync (R-WF-6)
"""

import flask
import functions_framework

from shared.adapters.task_auth import verify_task_request
from shared.adapters.task_queue import function_url
from shared.bootstrap import services
from shared.entrypoint import http_entry, json_response
from shared.errors import DomainError, ErrorCode, invalid


@functions_framework.http
@http_entry("webflow-push")
def handle(request: flask.Request) -> flask.Response:
    if request.method != "POST":
        raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
    app = services()
    verify_task_request(request, app.settings, function_url(app.settings, "webflow-push"))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("A JSON object is required.", "body")
    task_id = body.get("taskId")
    if isinstance(task_id, str) and task_id:
        return json_response({"result": app.webflow.run_task(task_id)})
    return json_response({"result": app.webflow.run_push(body)})
