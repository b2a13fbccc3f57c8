"""Drive v3: create / get / delete a file, and its permissions.

Without `fields`, Drive returns a short default view (recorded for files: kind, id, name,
mimeType); `fields` picks from the full resource. Parents are stored as given: the emulator
has no folders, so any parent ID is accepted.
"""

from __future__ import annotations

import copy
from typing import Any

from . import errors, fieldmask
from .call import Call
from .state import SPREADSHEET_MIME, DriveFile, Store, permission_id

FILE_DEFAULT = "kind,id,name,mimeType"
PERMISSION_DEFAULT = "kind,id,type,role"
ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
TYPES = ("user", "group", "domain", "anyone")
SHARERS = ("owner", "organizer", "fileOrganizer", "writer")  # editors may share, by default


def file_json(store: Store, file: DriveFile) -> dict:
    owner = next((p for p in file.permissions if p["role"] == "owner"), None)
    out: dict[str, Any] = {
        "kind": "drive#file",
        "id": file.id,
        "name": file.name,
        "mimeType": file.mime_type,
        "parents": list(file.parents),
        "createdTime": file.created,
        "modifiedTime": file.modified,
        "trashed": False,
        "webViewLink": f"https://docs.google.com/spreadsheets/d/{file.id}/edit?usp=drivesdk",
        "permissions": copy.deepcopy(file.permissions),
    }
    if owner:
        out["owners"] = [
            {
                "kind": "drive#user",
                "displayName": owner.get("displayName", ""),
                "me": True,
                "permissionId": owner["id"],
                "emailAddress": owner.get("emailAddress", ""),
            }
        ]
    if not file.parents:
        del out["parents"]
    return out


def _select(value: dict, call: Call, default: str) -> dict:
    return fieldmask.select(value, fieldmask.parse(call.param("fields") or default))


def _file(call: Call, needs: tuple[str, ...] = ()) -> DriveFile:
    """The file in the path. Drive hides files the caller cannot see (404) and refuses what
    its role does not allow (403)."""
    file = call.store.files.get(call.path["id"])
    role = call.store.role(file) if file else None
    if role is None:
        raise errors.drive_file_not_found(call.path["id"])
    if needs and role not in needs:
        raise errors.drive_permission_denied()
    return file


def create_file(call: Call) -> tuple[int, dict]:
    body = call.json_body()
    parents = body.get("parents") or []
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise errors.drive_bad_request("Invalid value for parents.", "invalid", "parents")
    file = call.store.create_file(
        body.get("name") or _untitled(body.get("mimeType")), body.get("mimeType") or "application/octet-stream", parents
    )
    return 200, _select(file_json(call.store, file), call, FILE_DEFAULT)


def _untitled(mime_type: str | None) -> str:
    return "Untitled spreadsheet" if mime_type == SPREADSHEET_MIME else "Untitled"


def get_file(call: Call) -> tuple[int, dict]:
    return 200, _select(file_json(call.store, _file(call)), call, FILE_DEFAULT)


def delete_file(call: Call) -> tuple[int, None]:
    call.store.delete_file(_file(call, needs=("owner", "organizer")).id)
    return 204, None


# --- permissions -----------------------------------------------------------------------------


def new_permission(file: DriveFile, wanted: dict, transfer_ownership: bool = False) -> dict:
    """Validate a permission like Drive does and add it (or change the role of an existing one
    for the same person, as Drive does)."""
    kind, role = wanted.get("type"), wanted.get("role")
    if not kind:
        raise errors.drive_bad_request("The permission type field is required.", "required", "permission.type")
    if not role:
        raise errors.drive_bad_request("The permission role field is required.", "required", "permission.role")
    if kind not in TYPES:
        raise errors.drive_bad_request(f"Invalid permission type: {kind}", "invalid", "permission.type")
    if role not in ROLES:
        raise errors.drive_bad_request(f"Invalid permission role: {role}", "invalid", "permission.role")
    if kind in ("user", "group") and not wanted.get("emailAddress"):
        raise errors.drive_bad_request(
            "The permission emailAddress field is required.", "required", "permission.emailAddress"
        )
    if kind == "domain" and not wanted.get("domain"):
        raise errors.drive_bad_request("The permission domain field is required.", "required", "permission.domain")
    if role == "owner" and not transfer_ownership:
        raise errors.drive_error(
            403, "The transferOwnership parameter must be enabled when the permission role is 'owner'.", "forbidden"
        )
    identity = wanted.get("emailAddress") or wanted.get("domain") or ""
    for existing in file.permissions:
        if existing["type"] == kind and (existing.get("emailAddress") or existing.get("domain") or "") == identity:
            existing["role"] = role
            return existing
    permission: dict[str, Any] = {"kind": "drive#permission", "type": kind, "role": role}
    if kind in ("user", "group"):
        permission.update(id=permission_id(identity), emailAddress=identity, displayName=identity.split("@")[0])
    elif kind == "domain":
        permission.update(
            id=permission_id(identity), domain=identity, allowFileDiscovery=bool(wanted.get("allowFileDiscovery"))
        )
    else:
        discoverable = bool(wanted.get("allowFileDiscovery"))
        permission.update(id="anyone" if discoverable else "anyoneWithLink", allowFileDiscovery=discoverable)
    permission.update(deleted=False, pendingOwner=False)
    if role == "owner":
        for existing in file.permissions:
            if existing["role"] == "owner":
                existing["role"] = "writer"  # the previous owner stays an editor
    file.permissions.append(permission)
    return permission


def create_permission(call: Call) -> tuple[int, dict]:
    """No mail leaves a test: the e-mail Drive would send is kept in `store.notifications`.
    sendNotificationEmail "defaults to `true` for users and groups" (Drive v3 reference); like
    every boolean it is read regardless of case (recorded: supportsAllDrives=True is honoured)."""
    file = _file(call, needs=SHARERS)
    wanted = call.json_body()
    permission = new_permission(file, wanted, call.flag("transferOwnership"))
    notify = (call.param("sendNotificationEmail") or "true").lower() != "false"
    if notify and wanted.get("type") in ("user", "group"):
        call.store.notifications.append(
            {
                "fileId": file.id,
                "emailAddress": wanted.get("emailAddress"),
                "role": wanted.get("role"),
                "message": call.param("emailMessage") or "",
            }
        )
    return 200, _select(copy.deepcopy(permission), call, PERMISSION_DEFAULT)


def list_permissions(call: Call) -> tuple[int, dict]:
    file = _file(call)
    listing = {"kind": "drive#permissionList", "permissions": copy.deepcopy(file.permissions)}
    fields = call.param("fields")
    return 200, fieldmask.select(listing, fieldmask.parse(fields or f"kind,permissions({PERMISSION_DEFAULT})"))


def delete_permission(call: Call) -> tuple[int, None]:
    file = _file(call, needs=SHARERS)
    for permission in file.permissions:
        if permission["id"] == call.path["permissionId"]:
            file.permissions.remove(permission)
            return 204, None
    raise errors.drive_error(
        404,
        f"Permission not found: {call.path['permissionId']}.",
        "notFound",
        location="permissionId",
        locationType="parameter",
    )
