"""HTTP entrypoints of the evaluation service: parse, call the use case, render."""
