"""The team's book as a local .xlsx workbook, and its client summary workbooks."""
