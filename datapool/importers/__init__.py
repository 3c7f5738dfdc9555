"""Importers that bring outside datasets into the pool. Each returns a report naming bad rows."""
