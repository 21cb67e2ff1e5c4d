"""HTTP entrypoints of the registration service: parse, call the use case, render."""
