"""Notification: which alerts a run found, their state, and e-mailing them."""
