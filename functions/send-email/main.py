"""Transactional e-mail through SendGrid, Amazon SES as fallback (Cloud Tasks handler); also
builds the large CSV reports it mails (it holds the mail keys and the reports bucket)."""

import flask
import functions_framework

from shared.adapters.task_auth import verify_task_request
from shared.adapters.task_queue import function_url
from shared.bootstrap import services
from shared.entrypoint import http_entry, json_response
from shared.errors import invalid
from shared.services.account_emails import EMAIL_PATH as ACCOUNT_PATH
from shared.services.report_exports import EXPORT_PATH as REPORT_EXPORT_PATH
from shared.services.sales_reports import TASK_PATH as SALES_REPORT_PATH
from shared.services.sign_in_bridge import TASK_PATH as SIGN_IN_PATH
from shared.services.waitlist import EMAIL_PATH as WAIT_LIST_PATH


@functions_framework.http
@http_entry("send-email")
def handle(request: flask.Request) -> flask.Response:
    app = services()
    if request.path.rstrip("/") == WAIT_LIST_PATH:  # wait-list and notify-me mails (R-T3-3/4)
        verify_task_request(request, app.settings, function_url(app.settings, "send-email", WAIT_LIST_PATH))
        return json_response({"result": app.waitlist.run_email_task(request.get_json(silent=True) or {})})
    if request.path.rstrip("/") == ACCOUNT_PATH:  # verification, invitation, password reset (SPEC 4.4)
        verify_task_request(request, app.settings, function_url(app.settings, "send-email", ACCOUNT_PATH))
        payload = request.get_json(silent=True) or {}
        return json_response({"result": app.account_emails.run_email_task(payload)})
    if request.path.rstrip("/") == SIGN_IN_PATH:  # the sign-in bridge's codes by e-mail (SPEC 4.4)
        verify_task_request(request, app.settings, function_url(app.settings, "send-email", SIGN_IN_PATH))
        return json_response({"result": app.sign_in.run_code_task(request.get_json(silent=True) or {})})
    if request.path.rstrip("/") == SALES_REPORT_PATH:  # SalesReport runs (R-RP-5)
        verify_task_request(
            request, app.settings, function_url(app.settings, "send-email", SALES_REPORT_PATH)
        )
        return json_response({"result": app.sales_reports.run_task(request.get_json(silent=True) or {})})
    if request.path.rstrip("/") == REPORT_EXPORT_PATH:  # large CSV reports, built and mailed (R-RP-1..3)
        url = function_url(app.settings, "send-email", REPORT_EXPORT_PATH)
        verify_task_request(request, app.settings, url)
        payload = request.get_json(silent=True) or {}
        return json_response({"result": app.report_exports.run_export_task(payload)})
    verify_task_request(request, app.settings, function_url(app.settings, "send-email"))
    body = request.get_json(silent=True) or {}
    order_id, template, key = (str(body.get(name) or "") for name in ("orderId", "template", "key"))
    if not (order_id and template and key):
        raise invalid("orderId, template and key are required.", "orderId", "template", "key")
    return json_response({"result": app.delivery.send_email(order_id, template, key)})
