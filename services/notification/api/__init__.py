"""HTTP entrypoints of the notification service (thin: parse, call the service, render)."""
