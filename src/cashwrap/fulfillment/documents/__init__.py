"""PDF documents of the store's work and the barcode they print."""
