"""The team's book as a Google spreadsheet, and its client summary spreadsheets."""
