"""`python -m ccpkh_excel …` is the `ccpkh-excel` command."""

from ccpkh_excel.frontends.cli import main

main()
