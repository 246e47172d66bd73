"""QR ticket delivery on the promoter's schedule (Cloud Tasks handler): runs one `tasks`
document — issues the signed QR codes and queues the e-mail and the text."""

import flask
import functions_framework

from shared.adapters.task_auth import verify_task_request
from shared.adapters.task_queue import function_url
from shared.bootstrap import services
from shared.entrypoint import http_entry, json_response
from shared.errors import invalid


@functions_framework.http
@http_entry("deliver-tickets")
def handle(request: flask.Request) -> flask.Response:
    app = services()
    verify_task_request(request, app.settings, function_url(app.settings, "deliver-tickets"))
    task_id = (request.get_json(silent=True) or {}).get("taskId")
    if not isinstance(task_id, str) or not task_id:
        raise invalid("taskId is required.", "taskId")
    return json_response({"result": app.delivery.run_task(task_id)})
