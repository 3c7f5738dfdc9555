"""Small helpers every app may use (bottom layer, below teams)."""
