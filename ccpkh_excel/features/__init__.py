"""What the office does with a plan: import it, check it, send forms, merge returns, derive, write documents, Excel."""
