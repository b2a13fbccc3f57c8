"""Error answers shaped the way Google shapes them.

The Sheets API (a gRPC service behind a JSON gateway) answers
`{"error": {"code", "message", "status"[, "details"]}}`; Drive v3 (an older API) answers
`{"error": {"code", "message", "errors": [{"domain", "reason", "message", ...}]}}`. Clients tell
them apart (gspread's backoff looks for `errors[0].domain`), so both shapes are kept.
Messages marked "recorded" appear verbatim in the cassettes or in public bug reports; the
others are the emulator's best reading of Google's wording.
"""

from __future__ import annotations

import json
from typing import Any

BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"


class ApiError(Exception):
    """An error answer: raise it anywhere in a handler, the server turns it into the response."""

    def __init__(self, code: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.code = code
        self.body = body

    @property
    def message(self) -> str:
        return self.body["error"]["message"]


def sheets_error(code: int, status: str, message: str, details: list | None = None) -> ApiError:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return ApiError(code, {"error": error})


def invalid_argument(message: str) -> ApiError:
    return sheets_error(400, "INVALID_ARGUMENT", message)


def not_found() -> ApiError:
    # recorded: a spreadsheet that does not exist (or was deleted)
    return sheets_error(404, "NOT_FOUND", "Requested entity was not found.")


def permission_denied() -> ApiError:
    # recorded: a spreadsheet the caller was never given access to
    return sheets_error(403, "PERMISSION_DENIED", "The caller does not have permission")


def unimplemented(message: str) -> ApiError:
    # Not something Google answers for these routes: the emulator says loudly what it lacks
    # rather than pretending, so a test never passes on behaviour that was never modelled.
    return sheets_error(501, "UNIMPLEMENTED", f"sheets_emulator: {message}")


def invalid_json_value(field: str, value: Any) -> ApiError:
    """recorded: a JSON value of the wrong type, e.g. `"values": "X"` where a list belongs."""
    message = f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.ListValue), {json.dumps(value)}"
    violation = {"@type": BAD_REQUEST_TYPE, "fieldViolations": [{"field": field, "description": message}]}
    return sheets_error(400, "INVALID_ARGUMENT", message, [violation])


def invalid_argument_with_violations(violations: list[tuple[str, str | None]]) -> ApiError:
    """A 400 listing each (message, field) refused, a line each in the message and one field
    violation each in the details, as the JSON gateway refuses unknown names."""
    details = [{**({"field": field} if field else {}), "description": message} for message, field in violations]
    return sheets_error(
        400,
        "INVALID_ARGUMENT",
        "\n".join(message for message, _ in violations),
        [{"@type": BAD_REQUEST_TYPE, "fieldViolations": details}],
    )


def unknown_field(name: str, where: str) -> ApiError:
    message = f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
    violation = {"@type": BAD_REQUEST_TYPE, "fieldViolations": [{"field": where, "description": message}]}
    return sheets_error(400, "INVALID_ARGUMENT", message, [violation])


def grid_limits(range_text: str, rows: int, columns: int) -> ApiError:
    # recorded in public reports, e.g. "Range ('Lighthouse Results'!A1001) exceeds grid limits.
    # Max rows: 1000, max columns: 121": the range as the caller wrote it, then the grid size.
    return invalid_argument(f"Range ({range_text}) exceeds grid limits. Max rows: {rows}, max columns: {columns}")


CELL_LIMIT = 10_000_000
CELL_LIMIT_MESSAGE = (
    f"This action would increase the number of cells in the workbook above the limit of {CELL_LIMIT} cells."
)

QUOTA_LINK = {
    "description": "Request a higher quota limit.",
    "url": "https://cloud.google.com/docs/quotas/help/request_increase",
}


def resource_exhausted(read: bool) -> ApiError:
    """The per-minute quota answer (429) of a user's bucket, Google's default limit of 60."""
    return quota_exceeded(read, per_user=True, limit=60)


def quota_exceeded(read: bool, per_user: bool, limit: int) -> ApiError:
    """The 429 Google sends past a per-minute quota of the Sheets API.

    Taken from bodies quoted whole in public reports: the message and ErrorInfo's reason, domain,
    quota_metric, quota_limit (`WriteRequestsPerMinutePerUser`) and service from
    Sage-Bionetworks/data_curator#110; `errors` (reason rateLimitExceeded), quota_unit and
    quota_location from flow-php/flow#2223 (2026); the per-project limit's name in the message
    ('Read requests per minute') from benborgers/opensheet#22. The emulator's reading: the
    per-project `quota_limit` name (`...PerMinutePerProject`), and the Help link."""
    kind, metric = ("Read", "read_requests") if read else ("Write", "write_requests")
    limit_name = f"{kind} requests per minute" + (" per user" if per_user else "")
    message = (
        f"Quota exceeded for quota metric '{kind} requests' and limit '{limit_name}' of service "
        "'sheets.googleapis.com' for consumer 'project_number:000000000000'."
    )
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {
            "quota_unit": "1/min/{project}/{user}" if per_user else "1/min/{project}",
            "quota_location": "global",
            "quota_metric": f"sheets.googleapis.com/{metric}",
            "quota_limit": f"{kind}RequestsPerMinutePer{'User' if per_user else 'Project'}",
            "quota_limit_value": str(limit),
            "consumer": "projects/000000000000",
            "service": "sheets.googleapis.com",
        },
    }
    help_ = {"@type": "type.googleapis.com/google.rpc.Help", "links": [QUOTA_LINK]}
    error = sheets_error(429, "RESOURCE_EXHAUSTED", message, [info, help_])
    error.body["error"]["errors"] = [{"message": message, "domain": "global", "reason": "rateLimitExceeded"}]
    return error


def service_disabled(drive: bool) -> ApiError:
    """The answer when the API is not enabled in the caller's Cloud project. It comes from
    Google's front end, so Drive's version carries both shapes (`errors` and `details`)."""
    api, host = (
        ("Google Drive API", "drive.googleapis.com") if drive else ("Google Sheets API", "sheets.googleapis.com")
    )
    console = f"https://console.developers.google.com/apis/api/{host}/overview?project=000000000000"
    message = (
        f"{api} has not been used in project 000000000000 before or it is disabled. Enable it by visiting "
        f"{console} then retry. If you enabled this API recently, wait a few minutes for the action to "
        "propagate to our systems and retry."
    )
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "SERVICE_DISABLED",
        "domain": "googleapis.com",
        "metadata": {"service": host, "consumer": "projects/000000000000", "activationUrl": console},
    }
    help_ = {
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [{"description": "Google developers console API activation", "url": console}],
    }
    error = sheets_error(403, "PERMISSION_DENIED", message, [info, help_])
    if drive:
        error.body["error"]["errors"] = [
            {
                "message": message,
                "domain": "usageLimits",
                "reason": "accessNotConfigured",
                "extendedHelp": "https://console.developers.google.com",
            }
        ]
    return error


SHEETS_STATUS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    408: ("DEADLINE_EXCEEDED", "The request timed out. Please try again."),
    409: ("ABORTED", "The operation was aborted."),
    500: ("INTERNAL", "Internal error encountered."),
    502: ("UNAVAILABLE", "The service is currently unavailable."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request timed out. Please try again."),
}


def sheets_failure(code: int, read: bool) -> ApiError:
    """What a Sheets route answers when a test injects `code`."""
    if code == 429:
        return resource_exhausted(read)
    status, message = SHEETS_STATUS.get(code, ("UNKNOWN", "Unknown error."))
    return sheets_error(code, status, message)


# --- Drive v3 ---------------------------------------------------------------------------------


def drive_error(code: int, message: str, reason: str, domain: str = "global", **extra: str) -> ApiError:
    item = {"message": message, "domain": domain, "reason": reason, **extra}
    return ApiError(code, {"error": {"code": code, "message": message, "errors": [item]}})


def drive_file_not_found(file_id: str) -> ApiError:
    return drive_error(404, f"File not found: {file_id}.", "notFound", location="fileId", locationType="parameter")


def drive_bad_request(message: str, reason: str = "badRequest", location: str | None = None) -> ApiError:
    extra = {"location": location, "locationType": "other"} if location else {}
    return drive_error(400, message, reason, **extra)


def drive_storage_quota() -> ApiError:
    # The answer a service account gets when it creates a file outside a shared drive: it owns
    # no storage. The sync looks for this reason to explain it.
    return drive_error(
        403, "The user's Drive storage quota has been exceeded.", "storageQuotaExceeded", domain="usageLimits"
    )


def drive_permission_denied() -> ApiError:
    return drive_error(
        403, "The user does not have sufficient permissions for this file.", "insufficientFilePermissions"
    )


DRIVE_STATUS = {
    400: ("Bad Request", "badRequest", "global"),
    403: ("Rate Limit Exceeded", "userRateLimitExceeded", "usageLimits"),
    404: ("Not Found", "notFound", "global"),
    408: ("Request Timeout", "requestTimeout", "global"),
    429: ("Rate Limit Exceeded", "rateLimitExceeded", "usageLimits"),
    500: ("Internal Error", "internalError", "global"),
    502: ("Bad Gateway", "backendError", "global"),
    503: ("Service Unavailable", "backendError", "global"),
    504: ("Gateway Timeout", "backendError", "global"),
}


def drive_failure(code: int) -> ApiError:
    message, reason, domain = DRIVE_STATUS.get(code, ("Unknown Error", "unknown", "global"))
    return drive_error(code, message, reason, domain=domain)
