"""Pure rules of a CCHC plan: Vietnamese text, units and groups, deadlines, periods, tasks and status. No file I/O."""
