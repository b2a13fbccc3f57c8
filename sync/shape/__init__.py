"""Shaping: figures into the tables people read (team tabs, client tabs, Sync Log)."""
