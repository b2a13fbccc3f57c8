"""Parsing and validation: cells into typed values, tabs into the valid Book and the problems table."""
