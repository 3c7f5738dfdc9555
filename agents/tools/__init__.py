"""Real tools the agent uses, each one module behind the Tools port."""
