"""The master workbook: its schema, the run lock, backups and atomic writes, and the `Master` that owns the file."""
