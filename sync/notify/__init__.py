"""Notification: e-mailing the alerts a run found (alerts: delivery; message: the e-mail; smtp: sending)."""
