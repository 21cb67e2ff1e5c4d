"""Use cases of the notification service, each in one unit of work."""
