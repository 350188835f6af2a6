"""Front ends over the library: the `ccpkh-excel` command, the Excel buttons, the demo."""
