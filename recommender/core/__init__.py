"""The PALR core, on catalog ids and a plan: one module per stage (linking, profile,
candidates, selection, explanation, grounding), the turn's types and events (turn), and the
stages wired in one place (pipeline)."""
