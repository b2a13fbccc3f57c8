"""Computation: the ledger of each contract, retainer periods."""
