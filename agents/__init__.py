"""The Benchmark Agent: plain Python, no Django. Typed data in, typed data out; the world is
reached only through the ports in `agents.ports`."""
