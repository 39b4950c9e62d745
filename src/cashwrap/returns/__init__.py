"""In-store returns, referenced and unreferenced, with their refunds."""
